// Command companyunlink is the worker of the company_unlink job (SQS): it
// unlinks the contacts of a deleted company, until its deadline, then
// queues the rest of the job.
package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/omnichannel/contacts/internal/app"
	"github.com/omnichannel/contacts/internal/company"
	"github.com/omnichannel/contacts/internal/lambdaevents"
	"github.com/omnichannel/contacts/internal/queue"
)

func main() {
	app.Start(func(_ context.Context, d *app.Deps) (any, error) {
		url, err := app.Env("COMPANY_UNLINK_QUEUE_URL")
		if err != nil {
			return nil, err
		}
		w := &company.Worker{
			Companies: &company.Service{Companies: d.Companies(), People: d.People}, Counter: d.Companies(),
			Jobs: d.Jobs(), Queue: &queue.JobQueue{Client: sqs.NewFromConfig(d.AWS), QueueURL: url},
		}
		return lambdaevents.Batch(d.Log, lambdaevents.Runs{Worker: w}.Handle), nil
	})
}
