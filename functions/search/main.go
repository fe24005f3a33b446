// Command search is the Lambda function behind the contact list, search
// and lookup.
package main

import "github.com/omnichannel/contacts/internal/app"

func main() { app.Start(app.Search) }
