package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/conversation"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/phone"
)

// Conversations is the DynamoDB implementation of conversation.Store. A
// contact's connections, conversations and the guard of the conversation
// open on each channel live in the contact's partition, so they go with it.
type Conversations struct {
	Client *dynamodb.Client
	Table  string
}

var _ conversation.Store = (*Conversations)(nil)

// messageTTL is how long an inbound message id is remembered: longer than
// SQS keeps a message (14 days at most).
const messageTTL = 15 * 24 * time.Hour

// maxOpenAttempts bounds the read-then-write loop of Open.
const maxOpenAttempts = 5

// Keys of the conversation items.
func connectionSK(channel string) string { return "CH#" + channel }
func openSK(channel string) string       { return "OPEN#" + channel }
func conversationSK(id string) string    { return "CONV#" + id }

// conversationLookupPK finds a conversation's contact from its id alone
// (SK channelUserSK). The conversation item names it in lookupPK, so a
// merge points it to the target and a delete removes it, as channel users.
func conversationLookupPK(ws, id string) string { return workspacePrefix(ws) + "CV#" + id }

// channelUserPK holds the one contact that is a channel user id.
func channelUserPK(ws, channel, userID string) string {
	return workspacePrefix(ws) + "CHU#" + channel + "#" + userID
}

const channelUserSK = "CHU"

// messagePK remembers an inbound message id.
func messagePK(ws, channel, messageID string) string {
	return workspacePrefix(ws) + "MSG#" + channel + "#" + messageID
}

const messageSK = "MSG"

// Items of a workspace's partition (workspacePK).
const channelsSK = "CHANNELS"

func templateSK(name string) string { return "TPL#" + name }
func statsSK(month string) string   { return "STATS#" + month }

type connectionItem struct {
	PK            string `dynamodbav:"PK"`
	SK            string `dynamodbav:"SK"`
	Type          string `dynamodbav:"type"`
	Channel       string `dynamodbav:"channel"`
	ConnectedAt   string `dynamodbav:"connectedAt"`
	UserID        string `dynamodbav:"userId,omitempty"`
	LookupPK      string `dynamodbav:"lookupPK,omitempty"` // the channel user lookup it owns
	LastMessageAt string `dynamodbav:"lastMessageAt,omitempty"`
}

type openItem struct {
	PK             string `dynamodbav:"PK"`
	SK             string `dynamodbav:"SK"`
	Type           string `dynamodbav:"type"`
	ConversationID string `dynamodbav:"conversationId"`
}

type conversationItem struct {
	PK              string       `dynamodbav:"PK"`
	SK              string       `dynamodbav:"SK"`
	Type            string       `dynamodbav:"type"`
	ID              string       `dynamodbav:"id"`
	ContactID       string       `dynamodbav:"contactId"`
	Channel         string       `dynamodbav:"channel"`
	TeamID          string       `dynamodbav:"teamId,omitempty"`
	Status          string       `dynamodbav:"status"`
	StartedBy       string       `dynamodbav:"startedBy"`
	Actor           string       `dynamodbav:"actor,omitempty"`
	Template        *templateUse `dynamodbav:"template,omitempty"`
	CreatedAt       string       `dynamodbav:"createdAt"`
	LastMessageAt   string       `dynamodbav:"lastMessageAt,omitempty"`
	Messages        int          `dynamodbav:"messages"`
	ClosedAt        string       `dynamodbav:"closedAt,omitempty"`
	ClosedReason    string       `dynamodbav:"closedReason,omitempty"`
	ClosedBy        string       `dynamodbav:"closedBy,omitempty"`
	LookupPK        string       `dynamodbav:"lookupPK,omitempty"`
	OutboundPending bool         `dynamodbav:"outboundPending,omitempty"`
}

type templateUse struct {
	Name       string   `dynamodbav:"name"`
	Language   string   `dynamodbav:"language,omitempty"`
	Parameters []string `dynamodbav:"parameters"`
}

func toConversationItem(ws string, c conversation.Conversation) conversationItem {
	it := conversationItem{
		PK: contactPK(ws, c.ContactID), SK: conversationSK(c.ID), Type: typeConversation,
		ID: c.ID, ContactID: c.ContactID, Channel: c.Channel, TeamID: c.TeamID, Status: c.Status,
		StartedBy: c.StartedBy, Actor: c.Actor, CreatedAt: formatTime(c.CreatedAt),
		LastMessageAt: formatTime(c.LastMessageAt), Messages: c.Messages,
		ClosedAt: formatTime(c.ClosedAt), ClosedReason: c.ClosedReason, ClosedBy: c.ClosedBy, OutboundPending: c.OutboundPending,
		LookupPK: conversationLookupPK(ws, c.ID),
	}
	if t := c.Template; t != nil {
		it.Template = &templateUse{Name: t.Name, Language: t.Language, Parameters: t.Parameters}
	}
	return it
}

func (it conversationItem) conversation() conversation.Conversation {
	c := conversation.Conversation{
		ID: it.ID, ContactID: it.ContactID, Channel: it.Channel, TeamID: it.TeamID, Status: it.Status,
		StartedBy: it.StartedBy, Actor: it.Actor, CreatedAt: parseTime(it.CreatedAt),
		LastMessageAt: parseTime(it.LastMessageAt), Messages: it.Messages,
		ClosedAt: parseTime(it.ClosedAt), ClosedReason: it.ClosedReason, ClosedBy: it.ClosedBy, OutboundPending: it.OutboundPending,
	}
	if t := it.Template; t != nil {
		c.Template = &conversation.TemplateUse{Name: t.Name, Language: t.Language, Parameters: append([]string{}, t.Parameters...)}
	}
	return c
}

// Channels implements conversation.Store: one GetItem.
func (s *Conversations) Channels(ctx context.Context, ws string) (conversation.Channels, error) {
	item, err := getRaw(ctx, s.Client, s.Table, workspacePK(ws), channelsSK, false, "channels")
	if err != nil {
		return conversation.Channels{}, err
	}
	if item == nil {
		return conversation.DefaultChannels(), nil
	}
	return unmarshalChannels(item)
}

type channelsItem struct {
	Channels []channelItem `dynamodbav:"channels"`
	Version  int           `dynamodbav:"version"`
}

type channelItem struct {
	ID       string `dynamodbav:"id"`
	Type     string `dynamodbav:"type"`
	Name     string `dynamodbav:"name"`
	Provider string `dynamodbav:"provider,omitempty"`
}

func unmarshalChannels(av map[string]types.AttributeValue) (conversation.Channels, error) {
	var it channelsItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return conversation.Channels{}, fmt.Errorf("unmarshal channels: %w", err)
	}
	cs := conversation.Channels{Version: it.Version, Channels: []conversation.Channel{}}
	for _, c := range it.Channels {
		cs.Channels = append(cs.Channels, conversation.Channel{ID: c.ID, Type: conversation.ChannelType(c.Type), Name: c.Name, Provider: c.Provider})
	}
	return cs, nil
}

// SaveChannels implements conversation.Store: one UpdateItem. The defaults
// are version 1, so the first saved catalogue is version 2.
func (s *Conversations) SaveChannels(ctx context.Context, ws string, ifVersion int, cs conversation.Channels) (conversation.Channels, error) {
	list := make([]channelItem, 0, len(cs.Channels))
	for _, c := range cs.Channels {
		list = append(list, channelItem{ID: c.ID, Type: string(c.Type), Name: c.Name, Provider: c.Provider})
	}
	av, err := attributevalue.Marshal(list)
	if err != nil {
		return conversation.Channels{}, fmt.Errorf("marshal channels: %w", err)
	}
	in := &dynamodb.UpdateItemInput{
		TableName: &s.Table, Key: key(workspacePK(ws), channelsSK), ReturnValues: types.ReturnValueAllNew,
		UpdateExpression:         aws.String("SET channels = :c, #t = :t, version = if_not_exists(version, :one) + :one"),
		ExpressionAttributeNames: map[string]string{"#t": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":c": av, ":t": &types.AttributeValueMemberS{Value: typeChannels}, ":one": &types.AttributeValueMemberN{Value: "1"},
		},
	}
	switch {
	case ifVersion == 1:
		in.ConditionExpression = aws.String("attribute_not_exists(PK)")
	case ifVersion > 1:
		in.ConditionExpression = aws.String("version = :v")
		in.ExpressionAttributeValues[":v"] = &types.AttributeValueMemberN{Value: fmt.Sprint(ifVersion)}
	}
	out, err := s.Client.UpdateItem(ctx, in)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		cur, err := s.Channels(ctx, ws)
		if err != nil {
			return conversation.Channels{}, err
		}
		return conversation.Channels{}, contact.ErrVersionMismatch.With("current", fmt.Sprint(cur.Version))
	}
	if err != nil {
		return conversation.Channels{}, fmt.Errorf("save channels: %w", err)
	}
	return unmarshalChannels(out.Attributes)
}

// Connections implements conversation.Store: one Query of the contact's partition.
func (s *Conversations) Connections(ctx context.Context, ws, contactID, hide string) ([]conversation.Connection, error) {
	items, err := queryPrefix(ctx, s.Client, s.Table, contactPK(ws, contactID), "CH#", true, 0)
	if err != nil {
		return nil, fmt.Errorf("read channels of %s: %w", contactID, err)
	}
	out := []conversation.Connection{}
	for _, av := range items {
		if hide != "" && str(av, attrMergeID) == hide {
			continue
		}
		var it connectionItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, fmt.Errorf("unmarshal connection: %w", err)
		}
		out = append(out, it.connection())
	}
	return out, nil
}

func (it connectionItem) connection() conversation.Connection {
	return conversation.Connection{Channel: it.Channel, ConnectedAt: parseTime(it.ConnectedAt), UserID: it.UserID, LastMessageAt: parseTime(it.LastMessageAt)}
}

// Disconnect implements conversation.Store: the contact read, then one
// transaction removes the connection, the channel user lookup it owns and
// the channel from the contact's connected ones (its list rows with it,
// on condition of its version: a lost race reads again), and adds the
// timeline entry.
func (s *Conversations) Disconnect(ctx context.Context, ws, contactID, channel, actor string, at time.Time) error {
	for attempt := 1; ; attempt++ {
		err := s.disconnect(ctx, ws, contactID, channel, actor, at)
		if !errors.Is(err, errDisconnectRace) {
			return err
		}
		if attempt == maxOpenAttempts {
			return contact.ErrBusy.Wrap(err)
		}
		backoff(ctx, attempt)
	}
}

// errDisconnectRace: the contact changed between the read and the write.
var errDisconnectRace = errors.New("the contact changed during a disconnect")

func (s *Conversations) disconnect(ctx context.Context, ws, contactID, channel, actor string, at time.Time) error {
	var conn connectionItem
	found, err := getItem(ctx, s.Client, s.Table, contactPK(ws, contactID), connectionSK(channel), true, "connection", &conn)
	if err != nil {
		return err
	}
	if !found {
		return conversation.ErrNotConnected
	}
	old, err := (&Contacts{Client: s.Client, Table: s.Table}).Get(ctx, ws, contactID)
	if err != nil {
		return err
	}
	if old.MergeLock != "" {
		return contact.ErrMerging
	}
	c := old.Clone()
	c.Channels = slices.DeleteFunc(c.Channels, func(id string) bool { return id == channel })
	c.Version++
	item, err := marshalContact(c)
	if err != nil {
		return err
	}
	index, err := indexWrites(s.Table, old, c)
	if err != nil {
		return err
	}
	entry, err := s.put(entryItem(ws, contactID, contact.Entry{ID: ids.New(at), Event: "channel", At: at, Actor: actor, Channel: channel, Action: "removed"}))
	if err != nil {
		return err
	}
	writes := append([]types.TransactWriteItem{
		{Delete: &types.Delete{TableName: &s.Table, Key: key(conn.PK, conn.SK), ConditionExpression: aws.String("attribute_exists(PK)")}},
		entry,
		{Put: &types.Put{
			TableName: &s.Table, Item: item, ConditionExpression: aws.String("version = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: fmt.Sprint(old.Version)}},
		}},
	}, index...)
	if conn.LookupPK != "" {
		writes = append(writes, types.TransactWriteItem{Delete: &types.Delete{
			TableName: &s.Table, Key: key(conn.LookupPK, channelUserSK),
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR contactId = :id"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: contactID}},
		}})
	}
	_, err = s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	if conditionFailures(err)[0] {
		return conversation.ErrNotConnected // removed meanwhile
	}
	if isRace(err) {
		return fmt.Errorf("%w: %w", errDisconnectRace, err)
	}
	if err != nil {
		return fmt.Errorf("disconnect %s from %s: %w", contactID, channel, err)
	}
	return nil
}

func (s *Conversations) put(v any) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(v)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("marshal %T: %w", v, err)
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: av}}, nil
}

// openState is what Open reads before it writes.
type openState struct {
	contact *contact.Contact
	conn    *connectionItem
	guard   *openItem
}

// read reads the contact, its connection to channel and the guard of the
// conversation open there: one strongly consistent BatchGetItem.
func (s *Conversations) read(ctx context.Context, ws, contactID, channel string) (openState, error) {
	pk := contactPK(ws, contactID)
	keys := []map[string]types.AttributeValue{key(pk, contactSK), key(pk, connectionSK(channel)), key(pk, openSK(channel))}
	var st openState
	err := batchGet(ctx, s.Client, s.Table, keys, true, "contact "+contactID+" for a conversation", func(av map[string]types.AttributeValue) error {
		var err error
		sk := str(av, attrSK)
		switch {
		case sk == contactSK:
			st.contact, err = unmarshalContact(av)
			return err
		case strings.HasPrefix(sk, "CH#"):
			st.conn = &connectionItem{}
			err = attributevalue.UnmarshalMap(av, st.conn)
		case strings.HasPrefix(sk, "OPEN#"):
			st.guard = &openItem{}
			err = attributevalue.UnmarshalMap(av, st.guard)
		}
		if err != nil {
			return fmt.Errorf("unmarshal %s: %w", sk, err)
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	if st.contact == nil {
		return st, contact.ErrNotFound
	}
	return st, nil
}

// Open implements conversation.Store. It reads the contact, the connection
// and the open guard, then writes in one transaction conditioned on what it
// read; a lost race reads again, so two starts give one conversation.
func (s *Conversations) Open(ctx context.Context, req conversation.OpenRequest) (conversation.Opened, error) {
	for attempt := 1; ; attempt++ {
		st, err := s.read(ctx, req.Workspace, req.ContactID, req.Conversation.Channel)
		if err != nil {
			return conversation.Opened{}, err
		}
		if st.contact.Blocked {
			return conversation.Opened{}, conversation.ErrBlocked
		}
		if st.contact.MergeLock != "" {
			return conversation.Opened{}, contact.ErrMerging
		}
		var opened conversation.Opened
		var writes []types.TransactWriteItem
		if st.guard != nil {
			opened, writes, err = s.reuse(ctx, req, st)
		} else {
			opened, writes, err = s.create(req, st)
		}
		if err != nil || len(writes) == 0 {
			return opened, err
		}
		msgIndex := -1
		if req.MessageID != "" {
			msgIndex = len(writes)
			writes = append(writes, s.messageWrite(req.Workspace, req.Conversation.Channel, req.MessageID, req.At))
		}
		_, err = s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
		if err == nil {
			return opened, nil
		}
		if msgIndex >= 0 && conditionFailures(err)[msgIndex] {
			return conversation.Opened{}, conversation.ErrMessageSeen
		}
		if !isRace(err) {
			return conversation.Opened{}, fmt.Errorf("open conversation with %s: %w", req.ContactID, err)
		}
		if attempt == maxOpenAttempts {
			return conversation.Opened{}, contact.ErrBusy.Wrap(err)
		}
		backoff(ctx, attempt)
	}
}

// reuse returns the conversation open on the channel; an inbound message
// counts on it (and on its connection) under a check that it is still open.
func (s *Conversations) reuse(ctx context.Context, req conversation.OpenRequest, st openState) (conversation.Opened, []types.TransactWriteItem, error) {
	pk := contactPK(req.Workspace, req.ContactID)
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.Table, Key: key(pk, conversationSK(st.guard.ConversationID)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return conversation.Opened{}, nil, fmt.Errorf("get conversation: %w", err)
	}
	if out.Item == nil {
		return conversation.Opened{}, nil, fmt.Errorf("open guard of %s points to a missing conversation %s", req.ContactID, st.guard.ConversationID)
	}
	var it conversationItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return conversation.Opened{}, nil, fmt.Errorf("unmarshal conversation: %w", err)
	}
	opened := conversation.Opened{Conversation: it.conversation()}
	if req.MessageID == "" {
		return opened, nil, nil
	}
	at := formatTime(req.At)
	writes := []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{
			TableName: &s.Table, Key: key(pk, openSK(it.Channel)),
			ConditionExpression:       aws.String("conversationId = :id"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: it.ID}},
		}},
		{Update: &types.Update{
			TableName: &s.Table, Key: key(pk, conversationSK(it.ID)),
			UpdateExpression:          aws.String("SET lastMessageAt = :at ADD messages :one"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":at": &types.AttributeValueMemberS{Value: at}, ":one": &types.AttributeValueMemberN{Value: "1"}},
		}},
	}
	touch, err := s.touchWrites(st.contact, req, false)
	if err != nil {
		return opened, nil, err
	}
	writes = append(writes, touch...)
	conn, err := s.connectionWrites(req, st)
	if err != nil {
		return opened, nil, err
	}
	opened.Connected = st.conn == nil
	opened.Conversation.Messages++
	opened.Conversation.LastMessageAt = req.At
	return opened, append(writes, conn...), nil
}

// create opens req.Conversation: the conversation, its guard, the contact's
// conversation status, the connection and the timeline entries.
func (s *Conversations) create(req conversation.OpenRequest, st openState) (conversation.Opened, []types.TransactWriteItem, error) {
	pk := contactPK(req.Workspace, req.ContactID)
	conv := req.Conversation
	convItem, err := attributevalue.MarshalMap(toConversationItem(req.Workspace, conv))
	if err != nil {
		return conversation.Opened{}, nil, fmt.Errorf("marshal conversation: %w", err)
	}
	guard, err := attributevalue.MarshalMap(openItem{PK: pk, SK: openSK(conv.Channel), Type: typeOpenGuard, ConversationID: conv.ID})
	if err != nil {
		return conversation.Opened{}, nil, fmt.Errorf("marshal open guard: %w", err)
	}
	entry, err := s.put(entryItem(req.Workspace, req.ContactID, contact.Entry{
		ID: ids.New(req.EntryTime()), Event: "conversation", At: req.At, Actor: conv.Actor,
		Channel: conv.Channel, ConversationID: conv.ID, Action: "started",
	}))
	if err != nil {
		return conversation.Opened{}, nil, err
	}
	lookup, err := attributevalue.MarshalMap(lookupItem{PK: conversationLookupPK(req.Workspace, conv.ID), SK: channelUserSK, Type: typeConversationLookup, ContactID: req.ContactID, Value: conv.ID,
		Channel: conv.Channel, Actor: conv.Actor, At: formatTime(req.At)})
	if err != nil {
		return conversation.Opened{}, nil, fmt.Errorf("marshal conversation lookup: %w", err)
	}
	writes := []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.Table, Item: convItem, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{TableName: &s.Table, Item: guard, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{TableName: &s.Table, Item: lookup, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		entry,
	}
	// The contact changes with every new conversation (a new version), so a
	// close that read the open ones before it retries.
	touch, err := s.touchWrites(st.contact, req, true)
	if err != nil {
		return conversation.Opened{}, nil, err
	}
	writes = append(writes, touch...)
	conn, err := s.connectionWrites(req, st)
	if err != nil {
		return conversation.Opened{}, nil, err
	}
	return conversation.Opened{Conversation: conv, Created: true, Connected: st.conn == nil}, append(writes, conn...), nil
}

// connectionWrites connects the channel when it is not (with the channel
// user lookup and a timeline entry), or records an inbound message on it.
func (s *Conversations) connectionWrites(req conversation.OpenRequest, st openState) ([]types.TransactWriteItem, error) {
	pk := contactPK(req.Workspace, req.ContactID)
	channel := req.Conversation.Channel
	at := formatTime(req.At)
	if st.conn != nil {
		if req.MessageID == "" {
			return nil, nil
		}
		return []types.TransactWriteItem{{Update: &types.Update{
			TableName: &s.Table, Key: key(pk, connectionSK(channel)),
			UpdateExpression:          aws.String("SET lastMessageAt = :at"),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":at": &types.AttributeValueMemberS{Value: at}},
		}}}, nil
	}
	conn := connectionItem{PK: pk, SK: connectionSK(channel), Type: typeConnection, Channel: channel, ConnectedAt: at, UserID: req.UserID}
	if req.MessageID != "" {
		conn.LastMessageAt = at
	}
	var writes []types.TransactWriteItem
	if req.UserID != "" {
		conn.LookupPK = channelUserPK(req.Workspace, channel, req.UserID)
		lookup, err := attributevalue.MarshalMap(lookupItem{PK: conn.LookupPK, SK: channelUserSK, Type: typeChannelUser, ContactID: req.ContactID, Value: req.UserID})
		if err != nil {
			return nil, fmt.Errorf("marshal channel user: %w", err)
		}
		writes = append(writes, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.Table, Item: lookup,
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR contactId = :id"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: req.ContactID}},
		}})
	}
	item, err := attributevalue.MarshalMap(conn)
	if err != nil {
		return nil, fmt.Errorf("marshal connection: %w", err)
	}
	// A millisecond earlier (ids are ordered to the millisecond), so the
	// connection sorts before the conversation it came with.
	entry, err := s.put(entryItem(req.Workspace, req.ContactID, contact.Entry{
		ID: ids.New(req.EntryTime().Add(-time.Millisecond)), Event: "channel", At: req.At, Actor: req.Conversation.Actor, Channel: channel, Action: "connected",
	}))
	if err != nil {
		return nil, err
	}
	return append(writes,
		types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		entry,
	), nil
}

// touched returns the contact as an open leaves it: a conversation open, its
// channel among its connected ones,
// its activity moved to req.At (never back; lastInboundAt for a message),
// a new version; the activity its list rows show when it moved by
// contact.ListedActivityStep. nil when nothing of it changes and !always.
func touched(old *contact.Contact, req conversation.OpenRequest, always bool) *contact.Contact {
	c := old.Clone()
	c.ConversationStatus = conversation.Open
	if ch := req.Conversation.Channel; !slices.Contains(c.Channels, ch) {
		c.Channels = append(c.Channels, ch) // connected now (or before rows showed it)
		always = true
	}
	if req.At.After(c.LastActivityAt) {
		c.LastActivityAt = req.At
	}
	if req.MessageID != "" && req.At.After(c.LastInboundAt) {
		c.LastInboundAt = req.At
	}
	if !always && c.ConversationStatus == old.ConversationStatus && c.LastActivityAt.Equal(old.LastActivityAt) && c.LastInboundAt.Equal(old.LastInboundAt) {
		return nil
	}
	if c.LastActivityAt.Sub(c.ListedActivityAt) >= contact.ListedActivityStep || c.LastInboundAt.Sub(c.ListedInboundAt) >= contact.ListedActivityStep {
		c.ListedActivityAt, c.ListedInboundAt = c.LastActivityAt, c.LastInboundAt
	}
	c.Version = old.Version + 1
	return c
}

// touchWrites writes the contact as touched leaves it, with the index rows
// that show its activity, on condition it is the version read and can
// talk; only the condition when nothing changes.
func (s *Conversations) touchWrites(old *contact.Contact, req conversation.OpenRequest, always bool) ([]types.TransactWriteItem, error) {
	c := touched(old, req, always)
	if c == nil {
		return []types.TransactWriteItem{notBlocked(s.Table, contactPK(old.Workspace, old.ID))}, nil
	}
	item, err := marshalContact(c)
	if err != nil {
		return nil, err
	}
	writes := []types.TransactWriteItem{{Put: &types.Put{
		TableName: &s.Table, Item: item,
		ConditionExpression:       aws.String("version = :v AND attribute_not_exists(blocked) AND attribute_not_exists(mergeLock) AND attribute_not_exists(mergedInto)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: fmt.Sprint(old.Version)}},
	}}}
	index, err := indexWrites(s.Table, old, c)
	if err != nil {
		return nil, err
	}
	return append(writes, index...), nil
}

func notBlocked(table, pk string) types.TransactWriteItem {
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: &table, Key: key(pk, contactSK),
		ConditionExpression: aws.String("attribute_exists(PK) AND attribute_not_exists(blocked) AND attribute_not_exists(mergeLock) AND attribute_not_exists(mergedInto)"),
	}}
}

type messageItem struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Type      string `dynamodbav:"type"`
	At        string `dynamodbav:"at"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
}

// messageWrite stores an inbound message id, on condition it is new.
func (s *Conversations) messageWrite(ws, channel, messageID string, at time.Time) types.TransactWriteItem {
	av, _ := attributevalue.MarshalMap(messageItem{
		PK: messagePK(ws, channel, messageID), SK: messageSK, Type: typeMessage,
		At: formatTime(at), ExpiresAt: time.Now().Add(messageTTL).Unix(),
	})
	return types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}}
}

// CloseAll implements conversation.Store: one transaction per open
// conversation (guard, conversation, timeline entry), then the contact's
// conversation status.
func (s *Conversations) CloseAll(ctx context.Context, ws, contactID, actor, reason string, at time.Time) (int, error) {
	pk := contactPK(ws, contactID)
	guards, err := queryPrefix(ctx, s.Client, s.Table, pk, "OPEN#", true, 0)
	if err != nil {
		return 0, fmt.Errorf("read open conversations of %s: %w", contactID, err)
	}
	closed := 0
	for _, av := range guards {
		var g openItem
		if err := attributevalue.UnmarshalMap(av, &g); err != nil {
			return closed, fmt.Errorf("unmarshal open guard: %w", err)
		}
		channel := strings.TrimPrefix(g.SK, "OPEN#")
		entry, err := s.put(entryItem(ws, contactID, contact.Entry{
			ID: ids.New(at), Event: "conversation", At: at, Actor: actor, Channel: channel, ConversationID: g.ConversationID, Action: "closed",
		}))
		if err != nil {
			return closed, err
		}
		_, err = s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Delete: &types.Delete{
				TableName: &s.Table, Key: key(pk, g.SK),
				ConditionExpression:       aws.String("conversationId = :id"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: g.ConversationID}},
			}},
			{Update: &types.Update{
				TableName: &s.Table, Key: key(pk, conversationSK(g.ConversationID)),
				UpdateExpression:         aws.String("SET #s = :closed, closedAt = :at, closedReason = :reason, closedBy = :by"),
				ExpressionAttributeNames: map[string]string{"#s": "status"},
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":closed": &types.AttributeValueMemberS{Value: conversation.Closed},
					":at":     &types.AttributeValueMemberS{Value: formatTime(at)},
					":reason": &types.AttributeValueMemberS{Value: reason},
					":by":     &types.AttributeValueMemberS{Value: actor},
				},
			}},
			entry,
		}})
		if isRace(err) {
			continue // closed meanwhile
		}
		if err != nil {
			return closed, fmt.Errorf("close conversation %s: %w", g.ConversationID, err)
		}
		closed++
	}
	_, err = s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.Table, Key: key(pk, contactSK),
		UpdateExpression:    aws.String("SET conversationStatus = :closed, version = version + :one"),
		ConditionExpression: aws.String("conversationStatus = :open"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":closed": &types.AttributeValueMemberS{Value: conversation.Closed},
			":open":   &types.AttributeValueMemberS{Value: conversation.Open},
			":one":    &types.AttributeValueMemberN{Value: "1"},
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return closed, fmt.Errorf("close conversation status of %s: %w", contactID, err)
	}
	return closed, nil
}

// ClaimOutbound implements conversation.Store: one conditional UpdateItem.
func (s *Conversations) ClaimOutbound(ctx context.Context, ws, contactID, conversationID string, at time.Time) (bool, error) {
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.Table, Key: key(contactPK(ws, contactID), conversationSK(conversationID)),
		UpdateExpression:    aws.String("SET outboundClaimedAt = :now"),
		ConditionExpression: aws.String("attribute_exists(outboundPending) AND (attribute_not_exists(outboundClaimedAt) OR outboundClaimedAt < :stale)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now":   &types.AttributeValueMemberS{Value: formatTime(at)},
			":stale": &types.AttributeValueMemberS{Value: formatTime(at.Add(-conversation.OutboundClaimTTL))},
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim outbound message: %w", err)
	}
	return true, nil
}

// ReleaseOutbound implements conversation.Store.
func (s *Conversations) ReleaseOutbound(ctx context.Context, ws, contactID, conversationID string) error {
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.Table, Key: key(contactPK(ws, contactID), conversationSK(conversationID)),
		UpdateExpression:    aws.String("REMOVE outboundClaimedAt"),
		ConditionExpression: aws.String("attribute_exists(PK)"),
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("release outbound claim: %w", err)
	}
	return nil
}

// OutboundSent implements conversation.Store.
func (s *Conversations) OutboundSent(ctx context.Context, ws, contactID, conversationID string) error {
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.Table, Key: key(contactPK(ws, contactID), conversationSK(conversationID)),
		UpdateExpression:    aws.String("REMOVE outboundPending, outboundClaimedAt"),
		ConditionExpression: aws.String("attribute_exists(PK)"),
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil // the contact was deleted meanwhile
	}
	if err != nil {
		return fmt.Errorf("mark outbound sent: %w", err)
	}
	return nil
}

// Conversations implements conversation.Store: one Query, newest first; with
// a status, on until the page is full (at worst the contact's conversations).
func (s *Conversations) Conversations(ctx context.Context, ws, contactID, before, status string, limit int, hide string) (conversation.Page, error) {
	q := newestQuery{PK: contactPK(ws, contactID), Prefix: "CONV#", Hide: hide}
	if status != "" {
		q.Keep = func(av map[string]types.AttributeValue) bool { return str(av, "status") == status }
	}
	if before != "" {
		q.BeforeSK = conversationSK(before)
	}
	list, more, err := newestPage(ctx, s.Client, s.Table, q, limit, "conversations of "+contactID, func(av map[string]types.AttributeValue) (conversation.Conversation, error) {
		var it conversationItem
		err := attributevalue.UnmarshalMap(av, &it)
		return it.conversation(), err
	})
	return conversation.Page{Conversations: list, More: more}, err
}

// FindContacts implements conversation.Store: a GetItem of the channel
// user lookup, then a Query (Limit limit) of the phone and of the email
// lookups, each strongly consistent.
func (s *Conversations) FindContacts(ctx context.Context, ws, channel string, sender conversation.Sender, limit int) ([]string, error) {
	if sender.UserID != "" && channel != "" {
		out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: &s.Table, Key: key(channelUserPK(ws, channel, sender.UserID), channelUserSK), ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return nil, fmt.Errorf("find channel user: %w", err)
		}
		if out.Item != nil {
			return []string{str(out.Item, "contactId")}, nil
		}
	}
	var partitions []string
	if sender.Phone != "" {
		partitions = append(partitions, phonePK(ws, phone.Identity(sender.Phone)))
	}
	if sender.Email != "" {
		partitions = append(partitions, emailPK(ws, contact.EmailKey(sender.Email)))
	}
	for _, pk := range partitions {
		items, err := queryPrefix(ctx, s.Client, s.Table, pk, "C#", true, int32(limit))
		if err != nil {
			return nil, fmt.Errorf("find contact by lookup: %w", err)
		}
		if len(items) > 0 {
			ids := make([]string, 0, len(items))
			for _, it := range items {
				ids = append(ids, str(it, "contactId"))
			}
			return ids, nil
		}
	}
	return nil, nil
}

// Seen implements conversation.Store.
func (s *Conversations) Seen(ctx context.Context, ws, channel, messageID string) (bool, error) {
	item, err := getRaw(ctx, s.Client, s.Table, messagePK(ws, channel, messageID), messageSK, true, "message id")
	return item != nil, err
}

// Drop implements conversation.Store: the message id and the month's count,
// in one transaction.
func (s *Conversations) Drop(ctx context.Context, ws, channel, messageID string, at time.Time) error {
	_, err := s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		s.messageWrite(ws, channel, messageID, at),
		{Update: &types.Update{
			TableName: &s.Table, Key: key(workspacePK(ws), statsSK(at.UTC().Format("2006-01"))),
			UpdateExpression:          aws.String("SET #t = :t ADD blockedMessages :one"),
			ExpressionAttributeNames:  map[string]string{"#t": "type"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberS{Value: typeStats}, ":one": &types.AttributeValueMemberN{Value: "1"}},
		}},
	}})
	if conditionFailures(err)[0] {
		return conversation.ErrMessageSeen
	}
	if err != nil {
		return fmt.Errorf("drop message: %w", err)
	}
	return nil
}

// DroppedMessages implements conversation.Store.
func (s *Conversations) DroppedMessages(ctx context.Context, ws string, at time.Time) (int, error) {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.Table, Key: key(workspacePK(ws), statsSK(at.UTC().Format("2006-01"))), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return 0, fmt.Errorf("get stats: %w", err)
	}
	var it struct {
		Blocked int `dynamodbav:"blockedMessages"`
	}
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return 0, fmt.Errorf("unmarshal stats: %w", err)
	}
	return it.Blocked, nil
}

type templateItem struct {
	PK             string `dynamodbav:"PK"`
	SK             string `dynamodbav:"SK"`
	Type           string `dynamodbav:"type"`
	Name           string `dynamodbav:"name"`
	Language       string `dynamodbav:"language"`
	Category       string `dynamodbav:"category,omitempty"`
	Body           string `dynamodbav:"body,omitempty"`
	ParameterCount int    `dynamodbav:"parameterCount"`
	Status         string `dynamodbav:"status"`
	UpdatedAt      string `dynamodbav:"updatedAt"`
}

func (it templateItem) template() conversation.Template {
	return conversation.Template{
		Name: it.Name, Language: it.Language, Category: it.Category, Body: it.Body,
		ParameterCount: it.ParameterCount, Status: it.Status, UpdatedAt: parseTime(it.UpdatedAt),
	}
}

// Templates implements conversation.Store: one Query of the workspace's
// partition (at most 500 templates of about 1 KB: a few pages).
func (s *Conversations) Templates(ctx context.Context, ws string) ([]conversation.Template, error) {
	items, err := queryPrefix(ctx, s.Client, s.Table, workspacePK(ws), "TPL#", false, 0)
	if err != nil {
		return nil, fmt.Errorf("read templates: %w", err)
	}
	out := []conversation.Template{}
	for _, av := range items {
		var it templateItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, fmt.Errorf("unmarshal template: %w", err)
		}
		out = append(out, it.template())
	}
	return out, nil
}

// Template implements conversation.Store.
func (s *Conversations) Template(ctx context.Context, ws, name string) (conversation.Template, error) {
	var it templateItem
	found, err := getItem(ctx, s.Client, s.Table, workspacePK(ws), templateSK(name), true, "template", &it)
	if err != nil {
		return conversation.Template{}, err
	}
	if !found {
		return conversation.Template{}, conversation.ErrTemplateNotFound
	}
	return it.template(), nil
}

// PutTemplate implements conversation.Store. A new template is refused when
// the workspace has MaxTemplates (counted by one Query with Select COUNT;
// two racing creations may pass it by one).
func (s *Conversations) PutTemplate(ctx context.Context, ws string, t conversation.Template) (bool, error) {
	if _, err := s.Template(ctx, ws, t.Name); errors.Is(err, conversation.ErrTemplateNotFound) {
		n, err := countPrefix(ctx, s.Client, s.Table, workspacePK(ws), "TPL#")
		if err != nil {
			return false, err
		}
		if n >= conversation.MaxTemplates {
			return false, conversation.ErrTooManyTemplates.With("max", fmt.Sprint(conversation.MaxTemplates))
		}
	} else if err != nil {
		return false, err
	}
	av, err := attributevalue.MarshalMap(templateItem{
		PK: workspacePK(ws), SK: templateSK(t.Name), Type: typeTemplate,
		Name: t.Name, Language: t.Language, Category: t.Category, Body: t.Body,
		ParameterCount: t.ParameterCount, Status: t.Status, UpdatedAt: formatTime(t.UpdatedAt),
	})
	if err != nil {
		return false, fmt.Errorf("marshal template: %w", err)
	}
	out, err := s.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: av, ReturnValues: types.ReturnValueAllOld})
	if err != nil {
		return false, fmt.Errorf("put template: %w", err)
	}
	return out.Attributes == nil, nil
}
