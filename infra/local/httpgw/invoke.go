package httpgw

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
)

// invoke runs the function with ev and maps its result to a response.
//
// Error statuses: a real HTTP API answers 503 {"message":"Service
// Unavailable"} when the integration times out and 500 {"message":"Internal
// Server Error"} when the function fails. Our issue tracker asks for "a
// crash or timeout on an API route answers 502/504 as API Gateway does",
// that is REST-API style, which is also what clients and load balancers
// usually retry on; so a function error or a malformed function response
// answers 502 {"message":"Internal Server Error"} and a timeout answers 504
// {"message":"Endpoint request timed out"}.
func (g *gateway) invoke(ctx context.Context, function string, ev *events.APIGatewayV2HTTPRequest) *response {
	payload, err := json.Marshal(ev)
	if err != nil {
		return gatewayError(http.StatusInternalServerError, "Internal Server Error")
	}
	ctx, cancel := context.WithTimeout(ctx, g.cfg.IntegrationTimeout)
	defer cancel()

	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := g.cfg.Invoker.Invoke(ctx, function, payload)
		done <- result{out, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		// Do not wait for an Invoker that ignores its context.
		res.err = ctx.Err()
	}
	switch {
	case res.err == nil:
	case errors.Is(res.err, ErrFunctionTimeout), errors.Is(res.err, context.DeadlineExceeded):
		return timeoutError()
	default:
		return gatewayError(http.StatusBadGateway, "Internal Server Error")
	}
	out, err := mapResponse(res.out)
	if err != nil {
		return gatewayError(http.StatusBadGateway, "Internal Server Error")
	}
	return out
}

func timeoutError() *response {
	return gatewayError(http.StatusGatewayTimeout, "Endpoint request timed out")
}

// mapResponse turns a payload format 2.0 function response into a
// response. Output without a statusCode field (a bare object, array,
// string...) is the body of a 200 application/json response; a bare JSON
// string is unquoted.
func mapResponse(out []byte) (*response, error) {
	out = bytes.TrimSpace(out)
	if !json.Valid(out) {
		return nil, errors.New("function response is not JSON")
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(out, &probe) != nil || probe["statusCode"] == nil {
		body := out
		var s string
		if json.Unmarshal(out, &s) == nil {
			body = []byte(s)
		}
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		return &response{status: http.StatusOK, header: h, body: body}, nil
	}

	var fr events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &fr); err != nil {
		return nil, fmt.Errorf("decode function response: %w", err)
	}
	if fr.StatusCode < 100 || fr.StatusCode > 599 {
		return nil, fmt.Errorf("function response: bad statusCode %d", fr.StatusCode)
	}
	res := &response{status: fr.StatusCode, header: http.Header{}, body: []byte(fr.Body)}
	if fr.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(fr.Body)
		if err != nil {
			return nil, fmt.Errorf("function response: body: %w", err)
		}
		res.body = b
	}
	for k, vs := range fr.MultiValueHeaders {
		for _, v := range vs {
			res.header.Add(k, v)
		}
	}
	for k, v := range fr.Headers {
		res.header.Set(k, v)
	}
	for _, c := range fr.Cookies {
		res.header.Add("Set-Cookie", c)
	}
	// The gateway computes the framing of the response itself.
	res.header.Del("Content-Length")
	res.header.Del("Transfer-Encoding")
	return res, nil
}
