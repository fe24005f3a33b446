package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/taxid"
	"github.com/omnichannel/contacts/internal/tenant"
)

// ContactRoutes returns the routes of the contacts function.
func ContactRoutes(svc *contact.Service) []Route {
	h := contactHandlers{svc: svc}
	fields := fieldSettingsHandlers{read: svc.Fields, save: svc.SetFields}
	return []Route{
		{Key: "POST /v1/contacts", Handle: h.create},
		{Key: "GET /v1/contacts/{id}", Handle: h.get},
		{Key: "PATCH /v1/contacts/{id}", Handle: h.update},
		{Key: "DELETE /v1/contacts/{id}", Handle: h.delete},
		{Key: "PUT /v1/contacts/by-external-id/{externalId}", Handle: h.upsert},
		{Key: "GET /v1/contacts/{id}/linked", Handle: h.linked},
		{Key: "GET /v1/contact-fields", Handle: fields.get},
		{Key: "PUT /v1/contact-fields", Handle: fields.put},
		{Key: "GET /v1/settings", Handle: h.settings},
		{Key: "PATCH /v1/settings", Handle: h.setSettings},
		{Key: "GET /v1/me", Handle: h.me},
	}
}

type contactHandlers struct{ svc *contact.Service }

func (h contactHandlers) create(ctx context.Context, r *Request) (Response, error) {
	doc, err := r.DecodeObject()
	if err != nil {
		return Response{}, err
	}
	key, err := idempotencyKey(r)
	if err != nil {
		return Response{}, err
	}
	req := contact.CreateRequest{Document: doc}
	if key != "" {
		req.IdempotencyKey, req.Fingerprint = key, fingerprint(r, doc)
	}
	c, replayed, err := h.svc.Create(ctx, r.Caller, req)
	if err != nil {
		return Response{}, err
	}
	headers := []string{"Location", "/v1/contacts/" + c.ID, "ETag", ETag(c.Version)}
	if replayed {
		headers = append(headers, "Idempotent-Replayed", "true")
	}
	dups := c.PossibleDuplicates
	if dups == nil {
		dups = []string{}
	}
	return JSON(http.StatusCreated, CreatedJSON{ContactJSON: contactView(c), PossibleDuplicates: dups}, headers...), nil
}

// CreatedJSON is the 201 of a create: the contact, and the contacts the
// caller may see that share its phone identity or email ("merge?").
type CreatedJSON struct {
	ContactJSON
	PossibleDuplicates []string `json:"possibleDuplicates"`
}

func (h contactHandlers) get(ctx context.Context, r *Request) (Response, error) {
	c, err := h.svc.Get(ctx, r.Caller, r.Path("id"))
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, contactView(c), "ETag", ETag(c.Version)), nil
}

func (h contactHandlers) update(ctx context.Context, r *Request) (Response, error) {
	patch, err := r.DecodeObject()
	if err != nil {
		return Response{}, err
	}
	var c *contact.Contact
	err = conditional(r, func(version int) (err error) {
		c, err = h.svc.Update(ctx, r.Caller, r.Path("id"), version, patch)
		return err
	})
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, contactView(c), "ETag", ETag(c.Version)), nil
}

// upsert creates (201, Location) or updates (200) the contact holding the
// path's externalId.
func (h contactHandlers) upsert(ctx context.Context, r *Request) (Response, error) {
	doc, err := r.DecodeObject()
	if err != nil {
		return Response{}, err
	}
	c, created, err := h.svc.Upsert(ctx, r.Caller, r.Path("externalId"), doc)
	if err != nil {
		return Response{}, err
	}
	if created {
		return JSON(http.StatusCreated, contactView(c), "Location", "/v1/contacts/"+c.ID, "ETag", ETag(c.Version)), nil
	}
	return JSON(http.StatusOK, contactView(c), "ETag", ETag(c.Version)), nil
}

func (h contactHandlers) delete(ctx context.Context, r *Request) (Response, error) {
	err := conditional(r, func(version int) error {
		return h.svc.Delete(ctx, r.Caller, r.Path("id"), version)
	})
	if err != nil {
		return Response{}, err
	}
	return NoContent(), nil
}

func (h contactHandlers) linked(ctx context.Context, r *Request) (Response, error) {
	list, err := h.svc.Linked(ctx, r.Caller, r.Path("id"))
	if err != nil {
		return Response{}, err
	}
	page := PageJSON[ContactJSON]{Items: make([]ContactJSON, 0, len(list))}
	for _, c := range list {
		page.Items = append(page.Items, contactView(c))
	}
	return JSON(http.StatusOK, page), nil
}

// SettingsJSON is the workspace's settings.
type SettingsJSON struct {
	DefaultCountry  string          `json:"defaultCountry"`
	AgentWalletOnly bool            `json:"agentWalletOnly"`
	Permissions     PermissionsJSON `json:"permissions"`
}

// PermissionsJSON is the roles that may take each action, in effect (the
// defaults filled in, the owner always among them).
type PermissionsJSON struct {
	Import           []tenant.Role `json:"import"`
	Export           []tenant.Role `json:"export"`
	Delete           []tenant.Role `json:"delete"`
	BulkDelete       []tenant.Role `json:"bulkDelete"`
	RemoveDuplicates []tenant.Role `json:"removeDuplicates"`
}

func settingsView(w contact.Workspace) SettingsJSON {
	p := w.Permissions
	return SettingsJSON{DefaultCountry: w.Region(), AgentWalletOnly: w.AgentWalletOnly, Permissions: PermissionsJSON{
		Import: p.Roles(tenant.Import), Export: p.Roles(tenant.Export), Delete: p.Roles(tenant.Delete),
		BulkDelete: p.Roles(tenant.BulkDelete), RemoveDuplicates: p.Roles(tenant.RemoveDuplicates),
	}}
}

// MeJSON is the caller and what it may do, for a front end to show only
// the actions that will work.
type MeJSON struct {
	ID          string  `json:"id"`
	Workspace   string  `json:"workspace"`
	Role        string  `json:"role"`
	WalletOnly  bool    `json:"walletOnly"` // sees only the contacts it owns
	Permissions MayJSON `json:"permissions"`
}

// MayJSON is whether the caller may take each action.
type MayJSON struct {
	Import           bool `json:"import"`
	Export           bool `json:"export"`
	Delete           bool `json:"delete"`
	BulkDelete       bool `json:"bulkDelete"`
	RemoveDuplicates bool `json:"removeDuplicates"`
	ChangeSettings   bool `json:"changeSettings"` // PATCH /v1/settings, PUT /v1/contact-fields
}

func (h contactHandlers) me(ctx context.Context, r *Request) (Response, error) {
	me, err := h.svc.Me(ctx, r.Caller)
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, MeJSON{
		ID: me.Caller.Subject, Workspace: me.Caller.Workspace, Role: string(me.Caller.Role),
		WalletOnly: contact.ScopeOf(me.Workspace, me.Caller).Wallet != "",
		Permissions: MayJSON{
			Import: me.May[tenant.Import], Export: me.May[tenant.Export], Delete: me.May[tenant.Delete],
			BulkDelete: me.May[tenant.BulkDelete], RemoveDuplicates: me.May[tenant.RemoveDuplicates],
			ChangeSettings: me.ChangeSettings,
		},
	}), nil
}

func (h contactHandlers) settings(ctx context.Context, r *Request) (Response, error) {
	w, err := h.svc.Settings(ctx, r.Caller)
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, settingsView(w), "ETag", ETag(w.Version)), nil
}

func (h contactHandlers) setSettings(ctx context.Context, r *Request) (Response, error) {
	doc, err := r.DecodeObject()
	if err != nil {
		return Response{}, err
	}
	var w contact.Workspace
	err = conditional(r, func(version int) (err error) {
		w, err = h.svc.SetSettings(ctx, r.Caller, version, doc)
		return err
	})
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, settingsView(w), "ETag", ETag(w.Version)), nil
}

// FieldSettingsJSON is the field settings as the API shows them.
type FieldSettingsJSON struct {
	Fields  []FieldJSON `json:"fields"`
	Order   []string    `json:"order"`
	Version int         `json:"version"`
}

// FieldJSON is a custom field definition.
type FieldJSON struct {
	Key     string   `json:"key"`
	Label   string   `json:"label"`
	Type    string   `json:"type"`
	Options []string `json:"options,omitempty"`
}

func fieldSettingsView(fs contact.FieldSettings) FieldSettingsJSON {
	v := FieldSettingsJSON{Fields: []FieldJSON{}, Order: fs.Order, Version: fs.Version}
	for _, f := range fs.Fields {
		v.Fields = append(v.Fields, FieldJSON{Key: f.Key, Label: f.Label, Type: string(f.Type), Options: f.Options})
	}
	return v
}

// ContactJSON is a contact as the API shows it.
type ContactJSON struct {
	ID                 string          `json:"id"`
	Name               *string         `json:"name"`
	FirstName          *string         `json:"firstName"`
	LastName           *string         `json:"lastName"`
	Kind               string          `json:"kind"`
	Phone              *string         `json:"phone"`
	Email              *string         `json:"email"`
	OtherPhones        []string        `json:"otherPhones"`
	OtherEmails        []string        `json:"otherEmails"`
	TaxID              *string         `json:"taxId"`
	BirthDate          *string         `json:"birthDate"`
	Company            *string         `json:"company"` // the free text
	CompanyID          *string         `json:"companyId"`
	LinkedCompany      *CompanyRefJSON `json:"linkedCompany"`
	Country            *string         `json:"country"`
	Language           *string         `json:"language"`
	OwnerID            *string         `json:"ownerId"`
	TelegramID         *string         `json:"telegramId"`
	AvatarURL          *string         `json:"avatarUrl"`
	ExternalID         *string         `json:"externalId"`
	Tags               []TagJSON       `json:"tags"`
	CustomFields       map[string]any  `json:"customFields"`
	MainContactID      *string         `json:"mainContactId"`
	Blocked            bool            `json:"blocked"`
	BlockedAt          *string         `json:"blockedAt"`
	BlockedBy          *string         `json:"blockedBy"`
	PendingActions     []string        `json:"pendingActions"`
	ConversationStatus *string         `json:"conversationStatus"`
	LastActivityAt     *string         `json:"lastActivityAt"`
	LastInboundAt      *string         `json:"lastInboundAt"`
	CreatedAt          string          `json:"createdAt"`
	UpdatedAt          string          `json:"updatedAt"`
	Version            int             `json:"version"`
}

// CompanyRefJSON is the company a contact is linked to, as the contact
// shows it (its name read from the company).
type CompanyRefJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// TagJSON is a tag as shown on a contact.
type TagJSON struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Color string `json:"color,omitempty"`
}

func contactView(c *contact.Contact) ContactJSON {
	v := ContactJSON{
		ID: c.ID, Name: opt(c.Name), FirstName: opt(c.FirstName), LastName: opt(c.LastName),
		Kind: string(c.Kind), Phone: opt(c.Phone), Email: opt(c.Email), TaxID: opt(formatTaxID(c.TaxID)),
		BirthDate: opt(c.BirthDate), Company: opt(c.Company), CompanyID: opt(c.CompanyID), Country: opt(c.Country),
		Language: opt(c.Language), OwnerID: opt(c.OwnerID), TelegramID: opt(c.TelegramID),
		AvatarURL: opt(c.AvatarURL), ExternalID: opt(c.ExternalID), Tags: tagsView(c.Tags), CustomFields: c.CustomFields,
		MainContactID: opt(c.MainContactID), Blocked: c.Blocked, BlockedAt: opt(timestamp(c.BlockedAt)),
		BlockedBy: opt(c.BlockedBy), PendingActions: c.PendingActions(),
		ConversationStatus: opt(c.ConversationStatus),
		LastActivityAt:     opt(timestamp(c.LastActivityAt)), LastInboundAt: opt(timestamp(c.LastInboundAt)),
		CreatedAt: timestamp(c.CreatedAt), UpdatedAt: timestamp(c.UpdatedAt), Version: c.Version,
	}
	if c.CompanyID != "" && c.CompanyName != "" {
		v.LinkedCompany = &CompanyRefJSON{ID: c.CompanyID, Name: c.CompanyName}
	}
	if v.CustomFields == nil {
		v.CustomFields = map[string]any{}
	}
	v.OtherPhones = append([]string{}, c.OtherPhones...)
	v.OtherEmails = append([]string{}, c.OtherEmails...)
	return v
}

func formatTaxID(canonical string) string {
	if canonical == "" {
		return ""
	}
	id, err := taxid.Parse(canonical)
	if err != nil {
		return canonical
	}
	return id.Formatted()
}

// timestamp formats t as RFC 3339 UTC with milliseconds; zero is "".
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
