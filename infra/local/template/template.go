// Package template reads the service's SAM/CloudFormation template
// (template.yaml) with goformation and turns its DynamoDB table resources
// into tables on DynamoDB Local, so that tests run against the schema that
// is deployed.
package template

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/awslabs/goformation/v7/cloudformation"
	cfndynamodb "github.com/awslabs/goformation/v7/cloudformation/dynamodb"
	"github.com/awslabs/goformation/v7/intrinsics"
)

// Template is a parsed CloudFormation/SAM template. Intrinsic functions are
// resolved the way goformation does it: Ref to a parameter gives its
// Default, Ref to a resource and Fn::GetAtt give nothing.
type Template struct {
	*cloudformation.Template

	// Path is the file the template was read from.
	Path string
	// Ignored lists the properties, resource types and Globals sections
	// that goformation does not know and that Load therefore dropped, as
	// paths such as "Resources.Table.Properties.WarmThroughput".
	Ignored []string
}

// Load reads and parses the template at path (YAML, or JSON if the name
// ends in .json).
//
// goformation alone rejects template.yaml, because it resolves
// `DeletionProtectionEnabled: !Ref TableDeletionProtection` to the string
// "true" and cannot put a string in a bool; CloudFormation converts it.
// Load therefore converts scalars the way CloudFormation does before the
// typed decoding, and drops properties and resource types too new for
// goformation's schema (listed in Ignored) instead of failing.
func Load(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading template: %w", err)
	}
	var resolved []byte
	if strings.HasSuffix(path, ".json") {
		resolved, err = intrinsics.ProcessJSON(data, nil)
	} else {
		resolved, err = intrinsics.ProcessYAML(data, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("parsing template %s: %w", path, err)
	}
	var raw map[string]any
	if err := json.Unmarshal(resolved, &raw); err != nil {
		return nil, fmt.Errorf("parsing template %s: %w", path, err)
	}
	ignored := normalize(raw)
	if resolved, err = json.Marshal(raw); err != nil {
		return nil, fmt.Errorf("parsing template %s: %w", path, err)
	}
	cfn := &cloudformation.Template{}
	if err := json.Unmarshal(resolved, cfn); err != nil {
		return nil, fmt.Errorf("parsing template %s: %w", path, err)
	}
	return &Template{Template: cfn, Path: path, Ignored: ignored}, nil
}

// FindRepoRoot returns the nearest directory, from the working directory
// upwards, that contains a go.mod file.
func FindRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding repository root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("finding repository root: no go.mod in the working directory or above")
		}
		dir = parent
	}
}

// Table returns the AWS::DynamoDB::Table resource named logicalID.
func (t *Template) Table(logicalID string) (*cfndynamodb.Table, error) {
	tbl, err := t.GetDynamoDBTableWithName(logicalID)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", t.Path, err)
	}
	return tbl, nil
}

// TableInput converts the table resource logicalID into a CreateTable
// request for a table called tableName: attribute definitions, key schema,
// global and local secondary indexes with their projections, and the
// stream specification. The table is always on-demand (PAY_PER_REQUEST),
// so provisioned throughput is dropped. Settings that are deployment
// concerns (deletion protection, point-in-time recovery, SSE, tags, table
// class) are ignored; time to live needs a separate call, see TTLAttribute.
func (t *Template) TableInput(logicalID, tableName string) (*dynamodb.CreateTableInput, error) {
	tbl, err := t.Table(logicalID)
	if err != nil {
		return nil, err
	}
	if len(tbl.KeySchema) == 0 {
		return nil, fmt.Errorf("table %s in %s has no KeySchema", logicalID, t.Path)
	}
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(tableName),
		BillingMode: types.BillingModePayPerRequest,
		KeySchema:   keySchema(tbl.KeySchema),
	}
	for _, a := range tbl.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName),
			AttributeType: types.ScalarAttributeType(a.AttributeType),
		})
	}
	for _, g := range tbl.GlobalSecondaryIndexes {
		p, err := projection(g.Projection, logicalID, g.IndexName)
		if err != nil {
			return nil, err
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName:  aws.String(g.IndexName),
			KeySchema:  keySchema(g.KeySchema),
			Projection: p,
		})
	}
	for _, l := range tbl.LocalSecondaryIndexes {
		p, err := projection(l.Projection, logicalID, l.IndexName)
		if err != nil {
			return nil, err
		}
		in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes, types.LocalSecondaryIndex{
			IndexName:  aws.String(l.IndexName),
			KeySchema:  keySchema(l.KeySchema),
			Projection: p,
		})
	}
	if s := tbl.StreamSpecification; s != nil && s.StreamViewType != "" {
		in.StreamSpecification = &types.StreamSpecification{
			StreamEnabled:  aws.Bool(true),
			StreamViewType: types.StreamViewType(s.StreamViewType),
		}
	}
	return in, nil
}

// TTLAttribute returns the attribute named by the table's enabled
// TimeToLiveSpecification, and false if the table declares none.
func (t *Template) TTLAttribute(logicalID string) (string, bool) {
	tbl, err := t.GetDynamoDBTableWithName(logicalID)
	if err != nil || tbl.TimeToLiveSpecification == nil {
		return "", false
	}
	spec := tbl.TimeToLiveSpecification
	if !spec.Enabled || spec.AttributeName == nil || *spec.AttributeName == "" {
		return "", false
	}
	return *spec.AttributeName, true
}

func keySchema(ks []cfndynamodb.Table_KeySchema) []types.KeySchemaElement {
	out := make([]types.KeySchemaElement, 0, len(ks))
	for _, k := range ks {
		out = append(out, types.KeySchemaElement{
			AttributeName: aws.String(k.AttributeName),
			KeyType:       types.KeyType(k.KeyType),
		})
	}
	return out
}

func projection(p *cfndynamodb.Table_Projection, table, index string) (*types.Projection, error) {
	if p == nil {
		return nil, fmt.Errorf("index %s of table %s has no Projection", index, table)
	}
	return &types.Projection{
		ProjectionType:   types.ProjectionType(aws.ToString(p.ProjectionType)),
		NonKeyAttributes: p.NonKeyAttributes,
	}, nil
}
