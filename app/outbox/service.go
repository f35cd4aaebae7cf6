package outbox

import (
	"context"
	"errors"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	v1 "github.com/huabei/huabei/app/api/v1"
	"github.com/huabei/huabei/app/apierr"
	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/server"
)

// ErrWebhookNotFound is returned by rotate for a merchant that never set a webhook (404).
var ErrWebhookNotFound = apierr.NotFound("WEBHOOK_NOT_FOUND", "the merchant has no webhook; PUT one first")

// Service is the merchant API of webhooks and events.
type Service struct {
	v1.UnimplementedEventServiceServer
	store *Store
	hooks *Webhooks
}

// NewService returns the service.
func NewService(store *Store, hooks *Webhooks) *Service { return &Service{store: store, hooks: hooks} }

// Register adds the routes.
func (s *Service) Register(rt *server.Routes) {
	merchant := []auth.Role{auth.RoleMerchant}
	both := []auth.Role{auth.RoleMerchant, auth.RoleOps}
	server.Route(rt, "PUT", "/v1/merchants/{merchant_id}/webhook", v1.EventService_PutWebhook_FullMethodName, merchant, s.PutWebhook)
	server.Route(rt, "POST", "/v1/merchants/{merchant_id}/webhook/rotate", v1.EventService_RotateWebhook_FullMethodName, merchant, s.RotateWebhook)
	server.Route(rt, "GET", "/v1/merchants/{merchant_id}/events", v1.EventService_ListEvents_FullMethodName, both, s.ListEvents)
}

// PutWebhook implements v1.EventServiceServer.
func (s *Service) PutWebhook(ctx context.Context, req *v1.PutWebhookRequest) (*v1.Webhook, error) {
	if err := auth.CheckMerchant(ctx, req.MerchantId); err != nil {
		return nil, err
	}
	if err := s.hooks.CheckURL(req.Url); err != nil {
		return nil, apierr.Invalid("url", err.Error())
	}
	w, err := s.hooks.Put(ctx, req.MerchantId, req.Url)
	if err != nil {
		return nil, err
	}
	return &v1.Webhook{Url: w.URL, Secret: w.Secret}, nil
}

// RotateWebhook implements v1.EventServiceServer.
func (s *Service) RotateWebhook(ctx context.Context, req *v1.RotateWebhookRequest) (*v1.Webhook, error) {
	if err := auth.CheckMerchant(ctx, req.MerchantId); err != nil {
		return nil, err
	}
	w, err := s.hooks.Rotate(ctx, req.MerchantId)
	if errors.Is(err, ErrNoWebhook) {
		return nil, ErrWebhookNotFound
	}
	if err != nil {
		return nil, err
	}
	return &v1.Webhook{Url: w.URL, Secret: w.Secret}, nil
}

// ListEvents implements v1.EventServiceServer.
func (s *Service) ListEvents(ctx context.Context, req *v1.ListEventsRequest) (*v1.ListEventsResponse, error) {
	if err := auth.CheckMerchant(ctx, req.MerchantId); err != nil {
		return nil, err
	}
	limit := int(req.Limit)
	switch {
	case limit == 0:
		limit = 50
	case limit < 1 || limit > 200:
		return nil, apierr.Invalid("limit", "must be between 1 and 200")
	}
	evs, err := s.store.MerchantEvents(ctx, req.MerchantId, req.After, limit)
	if errors.Is(err, ErrUnknownEvent) {
		return nil, apierr.Invalid("after", "not an event id of this merchant's event list")
	}
	if err != nil {
		return nil, err
	}
	out := &v1.ListEventsResponse{Events: make([]*v1.Event, 0, len(evs))}
	for _, e := range evs {
		data := &structpb.Struct{}
		if err := data.UnmarshalJSON(e.Data); err != nil {
			return nil, err
		}
		out.Events = append(out.Events, &v1.Event{Id: e.ID, Type: e.Type, CreatedAt: e.CreatedAt.Format(time.RFC3339Nano), Data: data})
	}
	if len(evs) == limit {
		out.NextPageToken = evs[len(evs)-1].ID
	}
	return out, nil
}
