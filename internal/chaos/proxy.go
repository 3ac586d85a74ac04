// Package chaos breaks things on purpose for the fault suite (go test -tags chaos):
// a TCP proxy that stands between the bot and a server it depends on (PostgreSQL,
// Redis) and can take that server away the way a restart or a network cut does,
// without touching the server itself, which other tests share.
package chaos

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Proxy forwards TCP connections from a local address to a target. While it is
// down it has cut every connection it carried and resets every new one at once,
// as a server that is restarting does; Up lets connections through again. Its
// methods are safe for concurrent use.
type Proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
	cuts  int // connections cut or refused
	wg    sync.WaitGroup
}

// Start listens on 127.0.0.1 and forwards to target (host:port) until the test
// ends.
func Start(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("chaos: listen: %v", err)
	}
	p := &Proxy{ln: ln, target: target, conns: make(map[net.Conn]struct{})}
	p.wg.Go(p.accept)
	t.Cleanup(p.close)
	return p
}

// Addr is the address to connect to instead of the target's.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Down cuts every connection and refuses new ones until Up.
func (p *Proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		reset(c)
		p.cuts++
	}
	clear(p.conns)
}

// Up lets connections through again.
func (p *Proxy) Up() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// Outage is Down, d of waiting, then Up.
func (p *Proxy) Outage(d time.Duration) {
	p.Down()
	time.Sleep(d)
	p.Up()
}

// Cuts counts the connections cut by Down or refused while down.
func (p *Proxy) Cuts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cuts
}

func (p *Proxy) close() {
	_ = p.ln.Close()
	p.Down()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		p.mu.Lock()
		if p.down {
			p.cuts++
			p.mu.Unlock()
			reset(c)
			continue
		}
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		p.wg.Go(func() { p.pipe(c) })
	}
}

// pipe carries one connection to the target and back until either side ends or
// Down cuts it.
func (p *Proxy) pipe(c net.Conn) {
	defer p.forget(c)
	up, err := net.DialTimeout("tcp", p.target, 2*time.Second)
	if err != nil {
		reset(c)
		return
	}
	p.mu.Lock()
	if _, ok := p.conns[c]; !ok { // cut while dialling
		p.mu.Unlock()
		reset(up)
		return
	}
	p.conns[up] = struct{}{}
	p.mu.Unlock()
	defer p.forget(up)
	done := make(chan struct{}, 2)
	carry := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go carry(up, c)
	go carry(c, up)
	<-done
	// One side ended: end both, so the other copy returns too.
	_ = c.Close()
	_ = up.Close()
	<-done
}

func (p *Proxy) forget(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	_ = c.Close()
}

// reset closes c with an RST rather than a FIN, as a killed server's kernel does.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}
