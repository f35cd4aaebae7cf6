package reliability

import (
	"encoding/json"
	stderrors "errors"
	"math/rand/v2"
	"strings"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// FuzzRequestDecoders fuzzes every *Request message of the given proto files the way the
// server decodes them: protojson (unknown fields discarded, as the server is configured),
// then the hand-written Validate method when there is one. Validate must never panic,
// must refuse with a client error (a Kratos 4xx, or a plain error the middleware turns
// into a 400), and a request it accepts must still be accepted after a JSON round trip.
// The seed corpus (plausible and hostile bodies per message) runs in every go test;
// `go test -fuzz Fuzz... ./<domain>/api/v1` explores further.
func FuzzRequestDecoders(f *testing.F, files ...protoreflect.FileDescriptor) {
	var types []protoreflect.MessageType
	for _, fd := range files {
		for i := 0; i < fd.Messages().Len(); i++ {
			md := fd.Messages().Get(i)
			if !strings.HasSuffix(string(md.Name()), "Request") {
				continue
			}
			mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
			if err != nil {
				f.Fatalf("%s: %v", md.FullName(), err)
			}
			types = append(types, mt)
		}
	}
	if len(types) == 0 {
		f.Fatal("no request messages")
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for i, mt := range types {
		md := mt.Descriptor()
		f.Add(uint8(i), []byte("{}"))
		for k := 0; k < 4; k++ {
			obj := plausibleObject(md, map[string]string{"user_id": "u1"}, rnd, 0)
			js, _ := json.Marshal(obj)
			f.Add(uint8(i), js)
		}
		for k := 0; k < md.Fields().Len(); k++ {
			fd := md.Fields().Get(k)
			obj := plausibleObject(md, map[string]string{"user_id": "u1"}, rnd, 0)
			obj[string(fd.Name())] = hostile(fd, rnd)
			js, err := json.Marshal(obj)
			if err == nil {
				f.Add(uint8(i), js)
			}
		}
		for _, b := range badBodies {
			f.Add(uint8(i), []byte(b))
		}
	}
	unmarshal := protojson.UnmarshalOptions{DiscardUnknown: true}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		mt := types[int(which)%len(types)]
		m := mt.New().Interface()
		if err := unmarshal.Unmarshal(body, m); err != nil {
			return // the server answers 400 for undecodable bodies
		}
		v, ok := m.(interface{ Validate() error })
		if !ok {
			return
		}
		if err := v.Validate(); err != nil {
			if se := new(kerrors.Error); stderrors.As(err, &se) && (se.Code < 400 || se.Code >= 500) {
				t.Fatalf("%s.Validate(%s): %d %s (want a 4xx)", mt.Descriptor().Name(), body, se.Code, se.Reason)
			}
			return
		}
		js, err := protojson.Marshal(m)
		if err != nil {
			t.Fatalf("%s: marshal accepted request: %v", mt.Descriptor().Name(), err)
		}
		m2 := mt.New().Interface()
		if err := unmarshal.Unmarshal(js, m2); err != nil {
			t.Fatalf("%s: accepted request does not round-trip: %v", mt.Descriptor().Name(), err)
		}
		if !proto.Equal(m, m2) {
			t.Fatalf("%s: round trip changed the request", mt.Descriptor().Name())
		}
		if err := m2.(interface{ Validate() error }).Validate(); err != nil {
			t.Fatalf("%s: accepted %s, refused its round trip: %v", mt.Descriptor().Name(), body, err)
		}
	})
}
