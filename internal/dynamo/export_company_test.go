package dynamo

// MaxCompanyRows exposes maxCompanyRows to the tests.
const MaxCompanyRows = maxCompanyRows
