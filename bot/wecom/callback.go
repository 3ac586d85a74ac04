package wecom

import (
	"encoding/xml"
	"fmt"
	"strconv"
)

// Message types and events the bot handles. Others (voice, video, link,
// other events) parse too, with the common fields only.
const (
	MsgTypeText     = "text"
	MsgTypeImage    = "image"
	MsgTypeLocation = "location"
	MsgTypeEvent    = "event"

	EventEnterAgent   = "enter_agent"         // the user opened the app's chat
	EventTemplateCard = "template_card_event" // a button of a template card was clicked
)

// Message is a decrypted callback: a message from a member or an event
// (接收消息与事件, https://developer.work.weixin.qq.com/document/path/90239
// and path/90240). FromUserName is the member's UserID; ToUserName is the
// CorpID.
type Message struct {
	ToUserName   string
	FromUserName string
	CreateTime   int64 // Unix seconds
	MsgType      string
	Content      string // text
	MsgID        string // absent from events
	AgentID      string

	// Events (MsgType "event"). For template_card_event, EventKey is the
	// clicked button's key, TaskID the card's task_id, CardType e.g.
	// button_interaction, and ResponseCode allows one update of the card
	// (message/update_template_card) within 72 h.
	Event        string
	EventKey     string
	TaskID       string
	CardType     string
	ResponseCode string

	// Location (MsgType "location").
	LocationX float64 // latitude
	LocationY float64 // longitude
	Scale     int
	Label     string

	// Image (MsgType "image").
	PicURL  string
	MediaID string
}

// DedupKey identifies the message across WeCom's retries (platforms.md
// §1.5): "msg:"+MsgID, or for events, which have no MsgId,
// "evt:"+FromUserName+":"+CreateTime.
func (m *Message) DedupKey() string {
	if m.MsgID != "" && m.MsgType != MsgTypeEvent {
		return "msg:" + m.MsgID
	}
	return "evt:" + m.FromUserName + ":" + strconv.FormatInt(m.CreateTime, 10)
}

// wireMessage is the plaintext XML. Older events spell AgentId.
type wireMessage struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   string   `xml:"ToUserName"`
	FromUserName string   `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      string   `xml:"MsgType"`
	Content      string   `xml:"Content"`
	MsgID        string   `xml:"MsgId"`
	AgentID      string   `xml:"AgentID"`
	AgentIDOld   string   `xml:"AgentId"`
	Event        string   `xml:"Event"`
	EventKey     string   `xml:"EventKey"`
	TaskID       string   `xml:"TaskId"`
	CardType     string   `xml:"CardType"`
	ResponseCode string   `xml:"ResponseCode"`
	LocationX    float64  `xml:"Location_X"`
	LocationY    float64  `xml:"Location_Y"`
	Scale        int      `xml:"Scale"`
	Label        string   `xml:"Label"`
	PicURL       string   `xml:"PicUrl"`
	MediaID      string   `xml:"MediaId"`
}

// parseMessage parses a decrypted plaintext. It requires the <xml> root, a
// MsgType and a FromUserName: without them there is nothing to act on.
func parseMessage(plain []byte) (*Message, error) {
	var w wireMessage
	if err := xml.Unmarshal(plain, &w); err != nil {
		return nil, fmt.Errorf("message: %w: %v", ErrXML, err)
	}
	if w.MsgType == "" || w.FromUserName == "" {
		return nil, fmt.Errorf("message: %w: no MsgType or FromUserName", ErrXML)
	}
	agentID := w.AgentID
	if agentID == "" {
		agentID = w.AgentIDOld
	}
	return &Message{
		ToUserName:   w.ToUserName,
		FromUserName: w.FromUserName,
		CreateTime:   w.CreateTime,
		MsgType:      w.MsgType,
		Content:      w.Content,
		MsgID:        w.MsgID,
		AgentID:      agentID,
		Event:        w.Event,
		EventKey:     w.EventKey,
		TaskID:       w.TaskID,
		CardType:     w.CardType,
		ResponseCode: w.ResponseCode,
		LocationX:    w.LocationX,
		LocationY:    w.LocationY,
		Scale:        w.Scale,
		Label:        w.Label,
		PicURL:       w.PicURL,
		MediaID:      w.MediaID,
	}, nil
}
