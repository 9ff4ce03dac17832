package dev.triggergate.engine.upstream;

import dev.triggergate.engine.StartBatch;

/**
 * Sends one batch to one host. The {@link Exchange} it returns fails with an {@link
 * Outcome.UpstreamFailure}, so the engine can tell "never written" (may go to another host) from
 * everything else (must not), and records how it ended on the host itself.
 */
interface UpstreamClient {
  Exchange send(UpstreamHost host, StartBatch batch);
}
