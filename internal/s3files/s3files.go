// Package s3files keeps the files of imports and exports in S3: streamed
// multipart uploads with bounded memory, reads, deletes, and presigned
// downloads and uploads.
package s3files

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// PartSize is the size of each part of an upload (S3's minimum is 5 MiB):
// an upload holds one part in memory.
const PartSize = 8 << 20

// Bucket is one S3 bucket.
type Bucket struct {
	Client  *s3.Client
	Presign *s3.PresignClient
	Name    string
}

// New returns the bucket name of client.
func New(client *s3.Client, name string) *Bucket {
	return &Bucket{Client: client, Presign: s3.NewPresignClient(client), Name: name}
}

// Upload streams r to key as a multipart upload, PartSize at a time, and
// returns the bytes written. On error the upload is aborted, leaving no
// object and no parts.
func (b *Bucket) Upload(ctx context.Context, key, contentType string, r io.Reader) (int64, error) {
	created, err := b.Client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: &b.Name, Key: &key, ContentType: &contentType, ServerSideEncryption: types.ServerSideEncryptionAes256,
	})
	if err != nil {
		return 0, fmt.Errorf("start upload of %s: %w", key, err)
	}
	abort := func(cause error) (int64, error) {
		_, _ = b.Client.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: &b.Name, Key: &key, UploadId: created.UploadId})
		return 0, cause
	}
	var parts []types.CompletedPart
	var total int64
	buf := make([]byte, PartSize)
	for n := int32(1); ; n++ {
		size, rerr := io.ReadFull(r, buf)
		if rerr != nil && !errors.Is(rerr, io.EOF) && !errors.Is(rerr, io.ErrUnexpectedEOF) {
			return abort(fmt.Errorf("upload %s: read: %w", key, rerr))
		}
		if size > 0 || n == 1 {
			out, err := b.Client.UploadPart(ctx, &s3.UploadPartInput{
				Bucket: &b.Name, Key: &key, UploadId: created.UploadId, PartNumber: aws.Int32(n),
				Body: bytes.NewReader(buf[:size]), ContentLength: aws.Int64(int64(size)),
			})
			if err != nil {
				return abort(fmt.Errorf("upload %s: part %d: %w", key, n, err))
			}
			parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
			total += int64(size)
		}
		if rerr != nil { // EOF or a short last part
			break
		}
	}
	_, err = b.Client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &b.Name, Key: &key, UploadId: created.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return abort(fmt.Errorf("complete upload of %s: %w", key, err))
	}
	return total, nil
}

// Open reads an object and returns its size.
func (b *Bucket) Open(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	out, err := b.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: &b.Name, Key: &key})
	if err != nil {
		return nil, 0, fmt.Errorf("get %s: %w", key, err)
	}
	return out.Body, aws.ToInt64(out.ContentLength), nil
}

// Delete removes an object; one already gone is no error.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if _, err := b.Client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b.Name, Key: &key}); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// DownloadURL is a presigned GET of key, valid for ttl, that saves as filename.
func (b *Bucket) DownloadURL(ctx context.Context, key, filename string, ttl time.Duration) (string, error) {
	disposition := "attachment; filename*=UTF-8''" + url.PathEscape(filename)
	req, err := b.Presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &b.Name, Key: &key, ResponseContentDisposition: &disposition}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("presign download of %s: %w", key, err)
	}
	return req.URL, nil
}

// UploadForm is a presigned POST of key, valid for ttl: the URL to post a
// multipart/form-data form to, and the fields the form carries before the
// file (its last field, "file"). S3 refuses the upload when the file is
// larger than maxBytes (the policy's content-length-range), or when the form
// names another key or content type.
func (b *Bucket) UploadForm(ctx context.Context, key, contentType string, maxBytes int64, ttl time.Duration) (string, map[string]string, error) {
	req, err := b.Presign.PresignPostObject(ctx, &s3.PutObjectInput{Bucket: &b.Name, Key: &key}, func(o *s3.PresignPostOptions) {
		o.Expires = ttl
		o.Conditions = []any{
			[]any{"content-length-range", 0, maxBytes},
			map[string]string{"Content-Type": contentType},
		}
	})
	if err != nil {
		return "", nil, fmt.Errorf("presign upload of %s: %w", key, err)
	}
	fields := maps.Clone(req.Values)
	fields["Content-Type"] = contentType
	return req.URL, fields, nil
}
