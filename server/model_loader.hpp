#pragma once
// Loads what the server serves: the model, the tokenizer found beside it, and the engine over
// both, logging what was loaded (architecture, dtype, size, slot-pool memory) and the progress.

#include <memory>

#include "engine/engine.hpp"
#include "server/server_options.hpp"

namespace mamba::server {

struct LoadedModel {
  std::shared_ptr<const Model> model;
  std::shared_ptr<const tok::Tokenizer> tokenizer;
  std::unique_ptr<Engine> engine;
};

// Throws (ModelError, TokenizerError, std::exception) with a message naming the file on failure.
LoadedModel load_model(const ServerOptions& options);

EngineConfig engine_config(const ServerOptions& options);

}  // namespace mamba::server
