#pragma once
// POST /v1/completions and POST /v1/chat/completions: parse, tokenize, submit to the engine, and
// answer with one JSON response or a stream of server-sent events.

#include <chrono>

#include <httplib.h>

#include "server/serving_context.hpp"

namespace mamba::server {

// Both throw ApiError for anything refused before the response starts.
void handle_completions(ServingContext& ctx, const httplib::Request& req, httplib::Response& res);
void handle_chat_completions(ServingContext& ctx, const httplib::Request& req,
                             httplib::Response& res);

}  // namespace mamba::server
