package feishutest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/larksuite/oapi-sdk-go/v3/ws"
)

// The long connection, as the SDK's ws.Client speaks it: it POSTs its
// credentials to /callback/ws/endpoint and gets a URL and a client config,
// dials the URL, pings (control frames) and answers each event (a data
// frame) with a frame carrying the same headers and a JSON ws.Response.

// streamState is the fake's side of the long connections.
type streamState struct {
	mu            sync.Mutex
	refuse        int // endpoint code; 0 accepts
	endpointCalls int
	reconnect     int  // ReconnectInterval given to clients, seconds
	configured    bool // a client config has been handed out
	conns         map[*streamConn]bool
	pending       map[string]chan ws.Response
	seq           int
}

func (st *streamState) init() {
	st.conns = make(map[*streamConn]bool)
	st.pending = make(map[string]chan ws.Response)
	st.reconnect = 1
}

type streamConn struct {
	c  *websocket.Conn
	mu sync.Mutex // serialises writes
}

func (c *streamConn) write(f *ws.Frame) error {
	b, err := f.Marshal()
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.c.WriteMessage(websocket.BinaryMessage, b)
}

// RefuseStreams makes the endpoint refuse new long connections with code
// (1 "system busy" makes the SDK retry on its own schedule; 403 or an
// unknown code makes its Start give up); 0 accepts them again.
func (s *Server) RefuseStreams(code int) {
	s.stream.mu.Lock()
	defer s.stream.mu.Unlock()
	s.stream.refuse = code
}

// EndpointCalls counts requests for a connection address.
func (s *Server) EndpointCalls() int {
	s.stream.mu.Lock()
	defer s.stream.mu.Unlock()
	return s.stream.endpointCalls
}

// Streams counts the open long connections.
func (s *Server) Streams() int {
	s.stream.mu.Lock()
	defer s.stream.mu.Unlock()
	return len(s.stream.conns)
}

// DropStreams closes every long connection, as a network failure would.
func (s *Server) DropStreams() {
	s.stream.mu.Lock()
	conns := make([]*streamConn, 0, len(s.stream.conns))
	for c := range s.stream.conns {
		conns = append(conns, c)
	}
	s.stream.conns = make(map[*streamConn]bool)
	s.stream.mu.Unlock()
	for _, c := range conns {
		_ = c.c.Close()
	}
}

func (s *Server) endpoint(w http.ResponseWriter, r *http.Request) {
	var b struct {
		AppID     string `json:"AppID"`
		AppSecret string `json:"AppSecret"`
	}
	_ = json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&b)
	st := &s.stream
	st.mu.Lock()
	defer st.mu.Unlock()
	st.endpointCalls++
	if st.refuse != 0 {
		writeJSON(w, http.StatusOK, map[string]any{"code": st.refuse, "msg": "fake refusal"})
		return
	}
	if b.AppID != s.appID || b.AppSecret != s.secret {
		writeJSON(w, http.StatusOK, map[string]any{"code": ws.Forbidden, "msg": "invalid app credentials"})
		return
	}
	st.seq++
	u := "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/ws?device_id=dev-" + strconv.Itoa(st.seq) + "&service_id=7&access_key=secret-ticket"
	data := map[string]any{"URL": u}
	if !st.configured {
		// Once only: the SDK applies a client config without its lock
		// while its ping loop reads it, a data race on every reconnect
		// that carries one. Quick reconnects, no jitter, and no second
		// ping within a test (the ping loop reads the connection without
		// the lock too); Feishu's defaults are 2 min, 30 s and 2 min.
		data["ClientConfig"] = map[string]any{"ReconnectCount": -1, "ReconnectInterval": st.reconnect, "ReconnectNonce": 0, "PingInterval": 600}
		st.configured = true
	}
	writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "data": data})
}

var upgrader = websocket.Upgrader{}

func (s *Server) websocket(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	sc := &streamConn{c: c}
	s.stream.mu.Lock()
	s.stream.conns[sc] = true
	s.stream.mu.Unlock()
	go s.read(sc)
}

// read answers pings and hands event answers to PushEvent.
func (s *Server) read(sc *streamConn) {
	defer func() {
		s.stream.mu.Lock()
		delete(s.stream.conns, sc)
		s.stream.mu.Unlock()
		_ = sc.c.Close()
	}()
	for {
		_, b, err := sc.c.ReadMessage()
		if err != nil {
			return
		}
		var f ws.Frame
		if err := f.Unmarshal(b); err != nil {
			continue
		}
		hs := ws.Headers(f.Headers)
		switch ws.FrameType(f.Method) {
		case ws.FrameTypeControl:
			if hs.GetString(ws.HeaderType) == string(ws.MessageTypePing) {
				pong := &ws.Frame{Method: int32(ws.FrameTypeControl), Service: f.Service}
				h := ws.Headers{}
				h.Add(ws.HeaderType, string(ws.MessageTypePong))
				pong.Headers = h
				_ = sc.write(pong)
			}
		case ws.FrameTypeData:
			var resp ws.Response
			if err := json.Unmarshal(f.Payload, &resp); err != nil {
				continue
			}
			s.stream.mu.Lock()
			ch := s.stream.pending[hs.GetString(ws.HeaderMessageID)]
			s.stream.mu.Unlock()
			if ch != nil {
				ch <- resp
			}
		}
	}
}

// PushEvent sends an event (the plaintext JSON of an event or a card
// callback) over a long connection and waits for the bot's answer: its
// status code (200, or 500 when the handler failed) and, for a card
// callback, the answer's JSON.
func (s *Server) PushEvent(ctx context.Context, payload []byte) (int, []byte, error) {
	s.stream.mu.Lock()
	var sc *streamConn
	for c := range s.stream.conns {
		sc = c
		break
	}
	s.stream.seq++
	seq := s.stream.seq
	id := "fake-msg-" + strconv.Itoa(seq)
	ch := make(chan ws.Response, 1)
	s.stream.pending[id] = ch
	s.stream.mu.Unlock()
	defer func() {
		s.stream.mu.Lock()
		delete(s.stream.pending, id)
		s.stream.mu.Unlock()
	}()
	if sc == nil {
		return 0, nil, errors.New("feishutest: no long connection")
	}
	h := ws.Headers{}
	h.Add(ws.HeaderType, string(ws.MessageTypeEvent))
	h.Add(ws.HeaderMessageID, id)
	h.Add(ws.HeaderTraceID, "trace-"+id)
	h.Add(ws.HeaderSum, "1")
	h.Add(ws.HeaderSeq, "0")
	h.Add(ws.HeaderTimestamp, strconv.FormatInt(time.Now().UnixMilli(), 10))
	f := &ws.Frame{SeqID: uint64(seq), Method: int32(ws.FrameTypeData), Service: 7, Headers: h, Payload: payload}
	if err := sc.write(f); err != nil {
		return 0, nil, fmt.Errorf("feishutest: push: %w", err)
	}
	select {
	case resp := <-ch:
		return resp.StatusCode, resp.Data, nil
	case <-ctx.Done():
		return 0, nil, fmt.Errorf("feishutest: push: no answer: %w", ctx.Err())
	}
}
