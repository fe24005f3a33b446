package sheets

import (
	"io"

	"github.com/omnichannel/contacts/internal/errs"
)

// cappedReader reads at most max bytes from r; reading past them fails with
// ErrFileTooLarge. Its errors are sticky: once failed, it fails again, so a
// buffered reader that swallowed the error while peeking sees it again.
type cappedReader struct {
	r    io.Reader
	left int64 // bytes still allowed
	max  int64
	err  error
}

func newCappedReader(r io.Reader, max int64) *cappedReader {
	return &cappedReader{r: r, left: max, max: max}
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.left <= 0 {
		// Allowed bytes used up: a one-byte probe tells a file of exactly
		// max bytes from a larger one.
		var probe [1]byte
		n, err := io.ReadFull(c.r, probe[:])
		switch {
		case n > 0:
			c.err = limitErr(ErrFileTooLarge, c.max, 0, 0)
		case err == io.ErrUnexpectedEOF || err == io.EOF:
			c.err = io.EOF
		default:
			c.err = err
		}
		return 0, c.err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	} else if err == io.EOF {
		c.err = io.EOF
	}
	return n, err
}

// asFileError returns err when it is one of this package's *errs.Error,
// and otherwise wraps it as ErrUnreadable: used where the only possible
// failures are of the file's content (parsing bytes already in memory).
func asFileError(err error) error {
	if e, ok := err.(*errs.Error); ok {
		return e
	}
	return ErrUnreadable.Wrap(err)
}
