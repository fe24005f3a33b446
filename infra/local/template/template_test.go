package template

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func loadRepoTemplate(t *testing.T) *Template {
	t.Helper()
	root, err := FindRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestRepoTemplateTable(t *testing.T) {
	tpl := loadRepoTemplate(t)
	// Elsewhere goformation lags behind SAM (it has no Globals.Function.LoggingConfig,
	// for one), but nothing of the table may be lost.
	for _, p := range tpl.Ignored {
		if strings.HasPrefix(p, "Resources.Table.") || strings.HasPrefix(p, "Resources.Table ") {
			t.Errorf("Load dropped %s, unknown to goformation", p)
		}
	}
	in, err := tpl.TableInput("Table", "contacts-test")
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(in.TableName); got != "contacts-test" {
		t.Errorf("TableName = %q, want contacts-test", got)
	}
	if in.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("BillingMode = %q, want PAY_PER_REQUEST", in.BillingMode)
	}
	if got, want := keys(in.KeySchema), []string{"PK HASH", "SK RANGE"}; !reflect.DeepEqual(got, want) {
		t.Errorf("KeySchema = %v, want %v", got, want)
	}
	// Every key attribute, of the table and of its indexes, must be defined.
	defined := map[string]types.ScalarAttributeType{}
	for _, a := range in.AttributeDefinitions {
		defined[aws.ToString(a.AttributeName)] = a.AttributeType
	}
	if defined["PK"] != types.ScalarAttributeTypeS || defined["SK"] != types.ScalarAttributeTypeS {
		t.Errorf("AttributeDefinitions = %v, want PK and SK of type S", defined)
	}
	var indexKeys []types.KeySchemaElement
	for _, g := range in.GlobalSecondaryIndexes {
		indexKeys = append(indexKeys, g.KeySchema...)
	}
	for _, l := range in.LocalSecondaryIndexes {
		indexKeys = append(indexKeys, l.KeySchema...)
	}
	for _, k := range indexKeys {
		if _, ok := defined[aws.ToString(k.AttributeName)]; !ok {
			t.Errorf("index key attribute %s has no AttributeDefinition", aws.ToString(k.AttributeName))
		}
	}
	if attr, ok := tpl.TTLAttribute("Table"); !ok || attr != "expiresAt" {
		t.Errorf("TTLAttribute = %q, %v; want expiresAt, true", attr, ok)
	}
}

func TestRepoTemplateUnknownTable(t *testing.T) {
	tpl := loadRepoTemplate(t)
	if _, err := tpl.TableInput("NoSuchTable", "x"); err == nil {
		t.Error("TableInput of a missing resource: want an error")
	}
	if _, ok := tpl.TTLAttribute("NoSuchTable"); ok {
		t.Error("TTLAttribute of a missing resource: want false")
	}
}

// TestIndexesAndCoercion covers what template.yaml does not have yet:
// secondary indexes, streams, scalars that CloudFormation would convert,
// and properties too new for goformation.
func TestIndexesAndCoercion(t *testing.T) {
	const src = `
Parameters:
  Protect:
    Type: String
    Default: "false"
Resources:
  T:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PROVISIONED
      ProvisionedThroughput: {ReadCapacityUnits: "5", WriteCapacityUnits: 5}
      DeletionProtectionEnabled: !Ref Protect
      AttributeDefinitions:
        - {AttributeName: PK, AttributeType: S}
        - {AttributeName: SK, AttributeType: S}
        - {AttributeName: GSI1PK, AttributeType: S}
        - {AttributeName: LSI1SK, AttributeType: N}
      KeySchema:
        - {AttributeName: PK, KeyType: HASH}
        - {AttributeName: SK, KeyType: RANGE}
      GlobalSecondaryIndexes:
        - IndexName: GSI1
          KeySchema: [{AttributeName: GSI1PK, KeyType: HASH}, {AttributeName: SK, KeyType: RANGE}]
          Projection: {ProjectionType: INCLUDE, NonKeyAttributes: [name]}
          WarmThroughput: {ReadUnitsPerSecond: 12000}
      LocalSecondaryIndexes:
        - IndexName: LSI1
          KeySchema: [{AttributeName: PK, KeyType: HASH}, {AttributeName: LSI1SK, KeyType: RANGE}]
          Projection: {ProjectionType: KEYS_ONLY}
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
      TimeToLiveSpecification: {AttributeName: ttl, Enabled: "true"}
  Future:
    Type: AWS::Future::Thing
    Properties: {X: 1}
`
	path := filepath.Join(t.TempDir(), "t.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	tpl, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	wantIgnored := []string{
		`Resources.Future (type "AWS::Future::Thing" unknown to goformation)`,
		"Resources.T.Properties.GlobalSecondaryIndexes[0].WarmThroughput",
	}
	if !reflect.DeepEqual(tpl.Ignored, wantIgnored) {
		t.Errorf("Ignored = %q, want %q", tpl.Ignored, wantIgnored)
	}
	tbl, err := tpl.Table("T")
	if err != nil {
		t.Fatal(err)
	}
	if tbl.DeletionProtectionEnabled == nil || *tbl.DeletionProtectionEnabled {
		t.Errorf("DeletionProtectionEnabled = %v, want false", tbl.DeletionProtectionEnabled)
	}
	if got := tbl.ProvisionedThroughput.ReadCapacityUnits; got != 5 {
		t.Errorf("ReadCapacityUnits = %v, want 5", got)
	}

	in, err := tpl.TableInput("T", "t")
	if err != nil {
		t.Fatal(err)
	}
	if in.BillingMode != types.BillingModePayPerRequest || in.ProvisionedThroughput != nil {
		t.Errorf("want on-demand without throughput, got %q %v", in.BillingMode, in.ProvisionedThroughput)
	}
	if len(in.GlobalSecondaryIndexes) != 1 || len(in.LocalSecondaryIndexes) != 1 {
		t.Fatalf("indexes: %d GSIs, %d LSIs; want 1 and 1", len(in.GlobalSecondaryIndexes), len(in.LocalSecondaryIndexes))
	}
	g := in.GlobalSecondaryIndexes[0]
	if aws.ToString(g.IndexName) != "GSI1" || !reflect.DeepEqual(keys(g.KeySchema), []string{"GSI1PK HASH", "SK RANGE"}) ||
		g.Projection.ProjectionType != types.ProjectionTypeInclude || !reflect.DeepEqual(g.Projection.NonKeyAttributes, []string{"name"}) ||
		g.ProvisionedThroughput != nil {
		t.Errorf("GSI1 = %+v", g)
	}
	l := in.LocalSecondaryIndexes[0]
	if aws.ToString(l.IndexName) != "LSI1" || !reflect.DeepEqual(keys(l.KeySchema), []string{"PK HASH", "LSI1SK RANGE"}) ||
		l.Projection.ProjectionType != types.ProjectionTypeKeysOnly {
		t.Errorf("LSI1 = %+v", l)
	}
	if s := in.StreamSpecification; s == nil || !aws.ToBool(s.StreamEnabled) || s.StreamViewType != types.StreamViewTypeNewAndOldImages {
		t.Errorf("StreamSpecification = %+v", s)
	}
	if attr, ok := tpl.TTLAttribute("T"); !ok || attr != "ttl" {
		t.Errorf("TTLAttribute = %q, %v; want ttl, true", attr, ok)
	}
}

func keys(ks []types.KeySchemaElement) []string {
	var out []string
	for _, k := range ks {
		out = append(out, aws.ToString(k.AttributeName)+" "+string(k.KeyType))
	}
	return out
}
