// Command merge is the Lambda function behind merge suggestions, merging
// contacts, undoing merges, the merge history, and starting the removal of
// every duplicate.
package main

import "github.com/omnichannel/contacts/internal/app"

func main() { app.Start(app.Merge) }
