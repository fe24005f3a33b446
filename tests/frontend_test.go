package tests

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
)

// must sends a request and fails the test unless it answers status.
func must(t *testing.T, status int, method, url, token, body string) map[string]any {
	t.Helper()
	resp, out := send(t, method, url, token, body)
	if resp.StatusCode != status {
		t.Fatalf("%s %s: %d %v, want %d", method, url, resp.StatusCode, out, status)
	}
	return out
}

// listed returns the rows of a list, by id.
func listed(t *testing.T, api, token, query string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, it := range must(t, http.StatusOK, "GET", api+"/v1/contacts?limit=200&"+query, token, "")["items"].([]any) {
		row := it.(map[string]any)
		out[row["id"].(string)] = row
	}
	return out
}

// TestFrontEndDayOne builds, over HTTP, what the contact screens of seeds
// 000–004 need, in a workspace of its own: tags on create, possible
// duplicates in the 201, names kept in step, list rows with kind and the
// channels to start on, the kind and "no owner" filters, templates by
// status, notes fixed and deleted, an export of a selection, and an
// export imported into a fresh workspace giving the same contacts back,
// groups included.
func TestFrontEndDayOne(t *testing.T) {
	api, _ := contactsPlatform(t)
	p, _ := startPlatform(t, "template.yaml", ".")
	ws := "dayone" + randomDigits(6)
	token, err := p.Token("owner-1", ws, "owner")
	if err != nil {
		t.Fatal(err)
	}

	// Tags on create (seed 000's Etiqueta field): names, a new one created.
	ana := must(t, http.StatusCreated, "POST", api+"/v1/contacts", token, `{"name":"Ana Lima","phone":"(21) 98888-1111","avatarUrl":"https://cdn.example.com/ana.png","tags":["VIP","Atacado"]}`)
	var tagNames []string
	for _, tg := range ana["tags"].([]any) {
		tagNames = append(tagNames, tg.(map[string]any)["name"].(string))
	}
	if sort.Strings(tagNames); fmt.Sprint(tagNames) != "[Atacado VIP]" {
		t.Errorf("tags on create: %v", tagNames)
	}
	anaID := ana["id"].(string)

	// Possible duplicates in the 201: the old 8-digit form of Ana's mobile.
	dup := must(t, http.StatusCreated, "POST", api+"/v1/contacts", token, `{"name":"Ana L","phone":"+55 21 8888-1111"}`)
	if got := fmt.Sprint(dup["possibleDuplicates"]); got != "["+anaID+"]" {
		t.Errorf("possibleDuplicates = %s, want [%s]", got, anaID)
	}
	dupID := dup["id"].(string)

	// Names in step: a new name re-derives its parts, and the list shows it.
	renamed := must(t, http.StatusOK, "PATCH", api+"/v1/contacts/"+anaID, token, `{"name":"Ana Paula Lima"}`)
	if renamed["firstName"] != "Ana" || renamed["lastName"] != "Paula Lima" {
		t.Errorf("after renaming: firstName %v lastName %v", renamed["firstName"], renamed["lastName"])
	}
	if row, ok := listed(t, api, token, "q=paula")[anaID]; !ok || row["name"] != "Ana Paula Lima" {
		t.Errorf("search q=paula: %v", row)
	}

	// List rows: kind and where a conversation can start; kind and no-owner filters.
	group := must(t, http.StatusCreated, "POST", api+"/v1/contacts", token, `{"name":"Grupo Compras","kind":"group","email":"compras@grupo.example.com"}`)
	groupID := group["id"].(string)
	must(t, http.StatusOK, "PATCH", api+"/v1/contacts/"+dupID, token, `{"ownerId":"agent-1"}`)
	rows := listed(t, api, token, "")
	if r := rows[anaID]; r["kind"] != "person" || fmt.Sprint(r["startChannels"]) != "[whatsapp sms]" {
		t.Errorf("Ana's row: kind %v startChannels %v", r["kind"], r["startChannels"])
	}
	if r := rows[groupID]; r["kind"] != "group" || fmt.Sprint(r["startChannels"]) != "[email]" {
		t.Errorf("the group's row: kind %v startChannels %v", r["kind"], r["startChannels"])
	}
	if got := listed(t, api, token, "kind=group"); len(got) != 1 || got[groupID] == nil {
		t.Errorf("kind=group lists %d rows", len(got))
	}
	if got := listed(t, api, token, "ownerId=none"); len(got) != 2 || got[dupID] != nil {
		t.Errorf("ownerId=none lists %v, want Ana and the group", keys(got))
	}

	// Message templates by status (the start-conversation picker).
	must(t, http.StatusCreated, "PUT", api+"/v1/message-templates/boas_vindas", token, `{"language":"pt_BR","body":"Olá {{1}}","parameterCount":1,"status":"approved"}`)
	must(t, http.StatusCreated, "PUT", api+"/v1/message-templates/promo", token, `{"language":"pt_BR","body":"Oferta","parameterCount":0,"status":"pending"}`)
	approved := must(t, http.StatusOK, "GET", api+"/v1/message-templates?status=approved", token, "")["items"].([]any)
	if len(approved) != 1 || approved[0].(map[string]any)["name"] != "boas_vindas" {
		t.Errorf("templates ?status=approved: %v", approved)
	}

	// Notes can be fixed, and deleted.
	note := must(t, http.StatusCreated, "POST", api+"/v1/contacts/"+anaID+"/notes", token, `{"text":"ligar amanhã"}`)
	noteURL := api + "/v1/contacts/" + anaID + "/notes/" + note["id"].(string)
	must(t, http.StatusOK, "PATCH", noteURL, token, `{"text":"ligar na sexta"}`)
	var shown map[string]any
	for _, e := range must(t, http.StatusOK, "GET", api+"/v1/contacts/"+anaID+"/timeline", token, "")["items"].([]any) {
		if e := e.(map[string]any); e["id"] == note["id"] {
			shown = e
		}
	}
	if shown == nil || shown["text"] != "ligar na sexta" || shown["editedAt"] == nil || shown["editedBy"] != "owner-1" {
		t.Errorf("the fixed note on the timeline: %v", shown)
	}
	must(t, http.StatusNoContent, "DELETE", noteURL, token, "")
	must(t, http.StatusNotFound, "PATCH", noteURL, token, `{"text":"de novo"}`)

	// Export a selection (seed 001): the two contacts chosen, nothing else.
	resp, started := send(t, "POST", api+"/v1/exports", token, `{"format":"csv","ids":["`+anaID+`","`+groupID+`"]}`)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("export a selection: %d %v", resp.StatusCode, started)
	}
	job := waitJob(t, api, token, resp.Header.Get("Location"))
	selection := exportedRows(t, fetch(t, job["downloadUrl"].(string)))
	if len(selection) != 2 || !strings.Contains(fmt.Sprint(selection), "Ana Paula Lima") || !strings.Contains(fmt.Sprint(selection), "Grupo Compras") {
		t.Errorf("exported selection: %v", selection)
	}

	// The round trip: the whole workspace exported, imported into a fresh
	// one, gives the same contacts back (kind, picture and tags included).
	// An import never creates a duplicate (a second row with a phone or
	// email seen is skipped, with the line it repeats): the duplicate is
	// merged first, as the 201 offered.
	must(t, http.StatusOK, "POST", api+"/v1/contacts/"+anaID+"/merge", token, `{"sourceIds":["`+dupID+`"]}`)
	resp, started = send(t, "POST", api+"/v1/exports", token, `{"format":"csv"}`)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("export all: %d %v", resp.StatusCode, started)
	}
	file := fetch(t, waitJob(t, api, token, resp.Header.Get("Location"))["downloadUrl"].(string))
	copyToken, err := p.Token("owner-1", ws+"copy", "owner")
	if err != nil {
		t.Fatal(err)
	}
	imported := importFile(t, api, copyToken, file)
	if imported["status"] != "succeeded" || imported["counts"].(map[string]any)["created"] != float64(2) {
		t.Fatalf("import of the export: %v", imported)
	}
	if got, want := summaries(t, api, copyToken), summaries(t, api, token); !slices.Equal(got, want) {
		t.Errorf("after the round trip:\n%v\nwant\n%v", got, want)
	}
}

// exportedRows reads an exported CSV (BOM, ';'), without its header.
func exportedRows(t *testing.T, file string) [][]string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(file, "\ufeff")))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("exported file %q: %v", file, err)
	}
	return rows[1:]
}

// summaries describes every contact of a workspace by what a person
// typed, sorted: name, kind, phone, email, picture, tags.
func summaries(t *testing.T, api, token string) []string {
	t.Helper()
	var out []string
	for id := range listed(t, api, token, "") {
		c := must(t, http.StatusOK, "GET", api+"/v1/contacts/"+id, token, "")
		var tags []string
		for _, tg := range c["tags"].([]any) {
			tags = append(tags, tg.(map[string]any)["name"].(string))
		}
		sort.Strings(tags)
		out = append(out, fmt.Sprint(c["name"], "|", c["kind"], "|", c["phone"], "|", c["email"], "|", c["avatarUrl"], "|", c["ownerId"], "|", tags))
	}
	sort.Strings(out)
	return out
}

func keys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
