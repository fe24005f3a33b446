package s3files

import (
	"context"
	"time"

	"github.com/omnichannel/contacts/internal/jobs"
)

// JobLinks returns the download links of a job's files, valid for an hour:
// an import's error report (from imports) and an export's file (from
// exports), named for the person who downloads them.
func JobLinks(imports, exports *Bucket) func(ctx context.Context, j *jobs.Job) (map[string]string, error) {
	return func(ctx context.Context, j *jobs.Job) (map[string]string, error) {
		out := map[string]string{}
		if key := j.Files["errorReport"]; key != "" {
			u, err := imports.DownloadURL(ctx, key, "erros-"+j.ID+".csv", time.Hour)
			if err != nil {
				return nil, err
			}
			out["errorReport"] = u
		}
		if key := j.Files["download"]; key != "" {
			u, err := exports.DownloadURL(ctx, key, "contatos-"+j.ID+"."+j.Params["format"], time.Hour)
			if err != nil {
				return nil, err
			}
			out["download"] = u
		}
		return out, nil
	}
}
