// Package server builds the HTTP and gRPC transports: the one generic route adapter every
// HTTP endpoint goes through (bind, operation name, middleware, result), the error
// encoder that passes Kratos errors through and masks everything else as a generic 500,
// the middleware chain (recovery, request id and logging, metrics, auth, validation) and
// the unauthenticated health, readiness, metrics and OpenAPI handlers.
package server
