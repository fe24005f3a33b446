// Command tags is the Lambda function behind the tag catalogue and the
// tagging of contacts.
package main

import (
	"context"

	"github.com/omnichannel/contacts/internal/app"
	"github.com/omnichannel/contacts/internal/httpapi"
	"github.com/omnichannel/contacts/internal/tag"
)

func main() {
	app.Start(func(_ context.Context, d *app.Deps) (any, error) {
		svc := &tag.Service{Tags: d.Tags, Contacts: d.Contacts, People: d.People}
		return d.API(httpapi.TagRoutes(svc, d.Keys)), nil
	})
}
