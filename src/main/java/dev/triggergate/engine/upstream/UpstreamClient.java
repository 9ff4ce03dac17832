package dev.triggergate.engine.upstream;

import dev.triggergate.engine.LaunchResult.Relayed;
import dev.triggergate.engine.StartBatch;
import io.vertx.core.Future;

/**
 * Sends one batch to one host and reads the start of its answer. A failure is always an {@link
 * Outcome.UpstreamFailure}, so the engine can tell "never written" (may go to another host) from
 * everything else (must not).
 */
interface UpstreamClient {
  Future<Relayed> send(UpstreamHost host, StartBatch batch);
}
