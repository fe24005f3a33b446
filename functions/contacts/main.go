// Command contacts is the Lambda function behind contact create, read,
// update and delete, the timeline and notes, custom field definitions and
// workspace settings.
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
		return d.API(httpapi.ContactRoutes(d.People), httpapi.TimelineRoutes(d.People, d.Contacts, cursors, d.Keys)), nil
	})
}
