// Command badinit is a test function that fails its init: it exits 1
// before lambda.Start; with BADINIT_HANG set it never gets there; with
// BADINIT_REPORT set it reports an error to /runtime/init/error and waits
// to be killed, as a custom runtime would.
package main

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	if os.Getenv("BADINIT_HANG") != "" {
		fmt.Println("badinit: hanging")
		time.Sleep(time.Hour)
	}
	if os.Getenv("BADINIT_REPORT") != "" {
		url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
		req, _ := http.NewRequest(http.MethodPost, url,
			strings.NewReader(`{"errorMessage":"no TABLE_NAME","errorType":"Runtime.Custom"}`))
		req.Header.Set("Lambda-Runtime-Function-Error-Type", "Runtime.Custom")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		time.Sleep(time.Hour)
	}
	fmt.Fprintln(os.Stderr, "badinit: missing configuration")
	os.Exit(1)
	lambda.Start(func() {})
}
