// Entry point `@llmops/platform/tracing`: loads OpenTelemetry without loading the rest of the library.
module.exports = require('./dist/tracing');
