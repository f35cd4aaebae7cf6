package server

import (
	"context"
	"fmt"

	kencoding "github.com/go-kratos/kratos/v2/encoding"
	kjson "github.com/go-kratos/kratos/v2/encoding/json"
	"github.com/go-kratos/kratos/v2/middleware"
	"google.golang.org/grpc/encoding"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Kratos registers a gRPC codec for the "json" content-subtype (application/grpc+json)
// that decodes with the lenient process-wide options, so an unknown field was dropped
// there as on HTTP. This codec replaces it (package init runs after Kratos's): it decodes
// strictly, and since gRPC turns any codec error into codes.Internal, a request with an
// unknown field is decoded without it and tagged instead; the rejectTaggedFields
// middleware then answers InvalidArgument naming the field, as HTTP answers 400.
func init() { encoding.RegisterCodec(grpcJSONCodec{}) }

// unknownFieldTag is the field number of the tag: the largest a proto field may have,
// which no message of ours uses.
const unknownFieldTag protowire.Number = protowire.MaxValidNumber

type grpcJSONCodec struct{}

func (grpcJSONCodec) Name() string { return kjson.Name }

func (grpcJSONCodec) Marshal(v any) ([]byte, error) {
	m, ok := v.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("grpc json: message is %T, want proto.Message", v)
	}
	return kencoding.GetCodec(kjson.Name).Marshal(m)
}

func (grpcJSONCodec) Unmarshal(data []byte, v any) error {
	m, ok := v.(proto.Message)
	if !ok {
		return fmt.Errorf("grpc json: message is %T, want proto.Message", v)
	}
	err := strictJSON.Unmarshal(data, m)
	if err == nil {
		return nil
	}
	sub := unknownFieldRE.FindStringSubmatch(err.Error())
	if sub == nil {
		return err
	}
	proto.Reset(m)
	if lerr := kencoding.GetCodec(kjson.Name).Unmarshal(data, m); lerr != nil {
		return lerr
	}
	r := m.ProtoReflect()
	tag := protowire.AppendTag(nil, unknownFieldTag, protowire.BytesType)
	tag = protowire.AppendString(tag, sub[1])
	r.SetUnknown(append(r.GetUnknown(), tag...))
	return nil
}

// taggedUnknownField returns the field name the codec tagged req with, if any.
func taggedUnknownField(req any) (string, bool) {
	m, ok := req.(proto.Message)
	if !ok {
		return "", false
	}
	b := m.ProtoReflect().GetUnknown()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return "", false
		}
		b = b[n:]
		if num == unknownFieldTag && typ == protowire.BytesType {
			s, n := protowire.ConsumeString(b)
			return s, n >= 0
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return "", false
		}
		b = b[n:]
	}
	return "", false
}

// rejectTaggedFields answers InvalidArgument naming the unknown field of a gRPC-JSON
// request (see grpcJSONCodec).
func rejectTaggedFields() middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			if name, ok := taggedUnknownField(req); ok {
				return nil, unknownField(name)
			}
			return next(ctx, req)
		}
	}
}
