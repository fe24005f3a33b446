// Package conversation is what surrounds talking to a contact: the
// workspace's channels and each contact's state on them, starting a
// conversation, message templates, and the messages channel gateways report.
package conversation

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/errs"
)

// ChannelType is the kind of network a channel talks through.
type ChannelType string

// The channel types.
const (
	WhatsApp  ChannelType = "whatsapp"
	SMS       ChannelType = "sms"
	Email     ChannelType = "email"
	Telegram  ChannelType = "telegram"
	Facebook  ChannelType = "facebook"
	Instagram ChannelType = "instagram"
	Webchat   ChannelType = "webchat"
)

var channelTypes = []ChannelType{WhatsApp, SMS, Email, Telegram, Facebook, Instagram, Webchat}

// Providers of a WhatsApp channel: the official Business API needs an
// approved template to start a conversation, the unofficial one does not.
const (
	ProviderOfficial   = "official"
	ProviderUnofficial = "unofficial"
)

// Channel is one channel connected to the workspace (a WhatsApp number, an
// email inbox, a Facebook page...).
type Channel struct {
	ID       string
	Type     ChannelType
	Name     string
	Provider string // WhatsApp only: official or unofficial
}

// NeedsTemplate reports whether starting a conversation on the channel needs
// an approved message template.
func (c Channel) NeedsTemplate() bool {
	return c.Type == WhatsApp && c.Provider != ProviderUnofficial
}

// Channels is the workspace's channel catalogue.
type Channels struct {
	Channels []Channel
	Version  int // 1 for the defaults, never saved
}

// Find returns the channel with the id.
func (cs Channels) Find(id string) (Channel, bool) {
	for _, c := range cs.Channels {
		if c.ID == id {
			return c, true
		}
	}
	return Channel{}, false
}

// DefaultChannels is the catalogue of a workspace that saved none: one
// channel of each type, named by its type.
func DefaultChannels() Channels {
	out := Channels{Version: 1}
	for _, t := range channelTypes {
		c := Channel{ID: string(t), Type: t, Name: string(t)}
		if t == WhatsApp {
			c.Provider = ProviderOfficial
		}
		out.Channels = append(out.Channels, c)
	}
	return out
}

// MaxChannels bounds a workspace's channel catalogue.
const MaxChannels = 50

var channelIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// ParseChannels reads {channels: [{id, type, name?, provider?}]}.
func ParseChannels(doc map[string]any) (Channels, []errs.FieldError) {
	var problems []errs.FieldError
	for k := range doc {
		if k != "channels" {
			problems = append(problems, errs.Field(k, "unknown_field"))
		}
	}
	list, ok := doc["channels"].([]any)
	switch {
	case doc["channels"] == nil:
		return Channels{}, append(problems, errs.Field("channels", "required"))
	case !ok:
		return Channels{}, append(problems, errs.Field("channels", "invalid_type", "type", "array"))
	case len(list) > MaxChannels:
		return Channels{}, append(problems, errs.Field("channels", "too_many", "max", strconv.Itoa(MaxChannels)))
	}
	var out Channels
	seen := map[string]bool{}
	for i, item := range list {
		path := "channels[" + strconv.Itoa(i) + "]"
		m, ok := item.(map[string]any)
		if !ok {
			problems = append(problems, errs.Field(path, "invalid_type", "type", "object"))
			continue
		}
		var c Channel
		for k, v := range m {
			s, isString := v.(string)
			switch k {
			case "id", "type", "name", "provider":
				if !isString {
					problems = append(problems, errs.Field(path+"."+k, "invalid_type", "type", "string"))
					continue
				}
			default:
				problems = append(problems, errs.Field(path+"."+k, "unknown_field"))
				continue
			}
			s = strings.TrimSpace(s)
			switch k {
			case "id":
				c.ID = s
			case "type":
				c.Type = ChannelType(s)
			case "name":
				c.Name = s
			case "provider":
				c.Provider = s
			}
		}
		switch {
		case c.ID == "":
			problems = append(problems, errs.Field(path+".id", "required"))
		case !channelIDPattern.MatchString(c.ID):
			problems = append(problems, errs.Field(path+".id", "channel_id_invalid"))
		case seen[c.ID]:
			problems = append(problems, errs.Field(path+".id", "duplicate", "value", c.ID))
		}
		seen[c.ID] = true
		if !validType(c.Type) {
			problems = append(problems, errs.Field(path+".type", "choice_invalid", "choices", joinTypes()))
		}
		if len([]rune(c.Name)) > 100 {
			problems = append(problems, errs.Field(path+".name", "too_long", "max", "100"))
		}
		if c.Name == "" {
			c.Name = c.ID
		}
		switch {
		case c.Type == WhatsApp && c.Provider == "":
			c.Provider = ProviderOfficial
		case c.Type == WhatsApp && c.Provider != ProviderOfficial && c.Provider != ProviderUnofficial:
			problems = append(problems, errs.Field(path+".provider", "choice_invalid", "choices", ProviderOfficial+", "+ProviderUnofficial))
		case c.Type != WhatsApp && c.Provider != "":
			problems = append(problems, errs.Field(path+".provider", "unknown_field"))
		}
		out.Channels = append(out.Channels, c)
	}
	return out, problems
}

func validType(t ChannelType) bool {
	for _, x := range channelTypes {
		if x == t {
			return true
		}
	}
	return false
}

func joinTypes() string {
	s := make([]string, len(channelTypes))
	for i, t := range channelTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// State is a contact's state on a channel.
type State string

// The channel states of a contact.
const (
	// Active: connected, the contact has talked on it.
	Active State = "active"
	// Inactive: not connected yet, but the workspace can start a conversation
	// on it (WhatsApp and SMS with a phone, email with an email address).
	Inactive State = "inactive"
	// Unavailable: the contact must write first.
	Unavailable State = "unavailable"
)

// Reasons a channel is unavailable.
const (
	ReasonContactMustWriteFirst = "contact_must_write_first"
	ReasonNoPhone               = "contact_has_no_phone"
	ReasonNoEmail               = "contact_has_no_email"
)

// Connection is a contact's connection to a channel: made by the first
// conversation on it, removed by people.
type Connection struct {
	Channel       string
	ConnectedAt   time.Time
	UserID        string // the contact's id on the channel's network, when it has one
	LastMessageAt time.Time
}

// ChannelState is one channel of the workspace as seen from one contact.
type ChannelState struct {
	Channel     Channel
	State       State
	ConnectedAt time.Time // when Active
	Reason      string    // when Unavailable
}

// StateOf returns the contact's state on ch: active when connected, else
// whether the workspace may start a conversation on it.
// StartChannels returns the ids of the catalogue's channels a conversation
// can start on with a contact that has phone and email and is connected to
// the channels connected: what a list row shows, with no call per contact.
func StartChannels(catalog Channels, phone, email string, connected []string) []string {
	c := &contact.Contact{Profile: contact.Profile{Phone: phone, Email: email}}
	out := []string{}
	for _, ch := range catalog.Channels {
		var conn *Connection
		if slices.Contains(connected, ch.ID) {
			conn = &Connection{Channel: ch.ID}
		}
		if StateOf(ch, c, conn).State != Unavailable {
			out = append(out, ch.ID)
		}
	}
	return out
}

func StateOf(ch Channel, c *contact.Contact, conn *Connection) ChannelState {
	if conn != nil {
		return ChannelState{Channel: ch, State: Active, ConnectedAt: conn.ConnectedAt}
	}
	switch ch.Type {
	case WhatsApp, SMS:
		if c.Phone == "" {
			return ChannelState{Channel: ch, State: Unavailable, Reason: ReasonNoPhone}
		}
		return ChannelState{Channel: ch, State: Inactive}
	case Email:
		if c.Email == "" {
			return ChannelState{Channel: ch, State: Unavailable, Reason: ReasonNoEmail}
		}
		return ChannelState{Channel: ch, State: Inactive}
	}
	return ChannelState{Channel: ch, State: Unavailable, Reason: ReasonContactMustWriteFirst}
}
