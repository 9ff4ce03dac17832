package dev.triggergate.engine.upstream;

import dev.triggergate.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Stub upstreams on their own Vert.x, as separate servers would be, and gateways in front of them;
 * whatever a test starts is closed after it.
 */
final class UpstreamFixture implements BeforeAllCallback, AfterAllCallback, AfterEachCallback {
  private final List<AutoCloseable> open = new ArrayList<>();
  private Vertx stubs;

  @Override
  public void beforeAll(ExtensionContext context) {
    stubs = Vertx.vertx();
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    for (AutoCloseable closeable : open) {
      closeable.close();
    }
    open.clear();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    stubs.close().await();
  }

  /** The Vert.x the stubs run on. */
  Vertx stubs() {
    return stubs;
  }

  /** A stub answering every request with Altcraft's success envelope until told otherwise. */
  StubUpstream stub() {
    return keep(StubUpstream.start(stubs));
  }

  /**
   * A gateway on the upstream engine. {@code yaml} follows the {@code urls} line: lines indented by
   * four add upstream settings, unindented ones add top-level sections.
   */
  TestGateway gateway(String yaml, String... urls) {
    return keep(
        TestGateway.start(
            "engine:\n  type: upstream\n  upstream:\n    urls: ["
                + Arrays.stream(urls).collect(Collectors.joining(", "))
                + "]\n"
                + yaml));
  }

  /**
   * The same on one event loop, so that concurrent requests share its pool; {@code yaml} as above.
   */
  TestGateway gatewayOnOneLoop(String yaml, String... urls) {
    return keep(
        TestGateway.start(
            "event_loops: 1",
            "engine:\n  type: upstream\n  upstream:\n    urls: ["
                + Arrays.stream(urls).collect(Collectors.joining(", "))
                + "]\n"
                + yaml));
  }

  /** Posts {@code batch} {@code count} times at once; the answers, in order. */
  static List<HttpResponse<Buffer>> postAtOnce(TestGateway gateway, String batch, int count) {
    List<Future<HttpResponse<Buffer>>> sent = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      sent.add(gateway.client.post(TestGateway.PATH).sendBuffer(Buffer.buffer(batch)));
    }
    Future.all(sent).await();
    return sent.stream().map(Future::result).toList();
  }

  /** Closes {@code closeable} after the test. */
  <T extends AutoCloseable> T keep(T closeable) {
    open.add(closeable);
    return closeable;
  }
}
