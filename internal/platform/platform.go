// Package platform builds what every function's main needs once per cold
// start: configuration from the environment, the AWS SDK configuration, the
// JSON logger.
package platform

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Env returns the environment variable name, or an error naming it when unset.
func Env(name string) (string, error) {
	v := os.Getenv(name)
	if v == "" {
		return "", fmt.Errorf("environment variable %s is not set", name)
	}
	return v, nil
}

// AWSConfig loads the SDK configuration of the function's role. Endpoints can
// be redirected per service with AWS_ENDPOINT_URL_<SERVICE> (the local
// platform does so).
func AWSConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	return cfg, nil
}

// Logger returns the JSON logger every function logs with.
func Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// Exit logs err and ends the process: for main, when a cold start cannot
// complete. Lambda reports it as an init error.
func Exit(log *slog.Logger, err error) {
	log.Error("init failed", "error", err.Error())
	os.Exit(1)
}

// Envs returns the environment variables names, or an error naming the
// first one unset.
func Envs(names ...string) (map[string]string, error) {
	out := make(map[string]string, len(names))
	for _, n := range names {
		v, err := Env(n)
		if err != nil {
			return nil, err
		}
		out[n] = v
	}
	return out, nil
}

// S3Options addresses buckets by path when AWS_S3_USE_PATH_STYLE is "true"
// (the local platform's moto), by virtual host otherwise (AWS).
func S3Options(o *s3.Options) {
	o.UsePathStyle = os.Getenv("AWS_S3_USE_PATH_STYLE") == "true"
}
