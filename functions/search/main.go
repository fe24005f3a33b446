// Command search is the Lambda function behind the contact list, search
// and lookup.
package main

import (
	"context"

	"github.com/omnichannel/contacts/internal/app"
	"github.com/omnichannel/contacts/internal/app/cursorsecret"
	"github.com/omnichannel/contacts/internal/httpapi"
)

func main() {
	app.Start(func(ctx context.Context, d *app.Deps) (any, error) {
		cursors, err := cursorsecret.Codec(ctx, d.AWS)
		if err != nil {
			return nil, err
		}
		return d.API(httpapi.SearchRoutes(d.Finder(cursors))), nil
	})
}
