package dev.triggergate.http;

import dev.triggergate.config.GatewayConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.util.AttributeKey;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Guards every client connection as it opens: the cap on open connections, the edge's request
 * decoder for HTTP/1.x (strict framing, the head deadline), and the deadline for an answer that the
 * client does not read.
 *
 * <p>Vert.x has no public hook for the connection's Netty pipeline; {@link ConnectionBase} is the
 * class every Vert.x 5 connection extends, and the connection handler runs while the pipeline is
 * being built, before a single request byte is decoded, so the decoder can be swapped safely
 * (except with {@code server.h2c} on, see {@link #accept}).
 */
public final class ClientConnections {
  /** The name Vert.x gives the HTTP/1.x request decoder in the pipeline. */
  private static final String HTTP_DECODER = "httpDecoder";

  /** The name of Vert.x's handler that watches the first HTTP/1.x request for an h2c upgrade. */
  private static final String H2C_UPGRADE = "h2c";

  private static final AttributeKey<Boolean> CLOSING =
      AttributeKey.valueOf(ClientConnections.class, "closing");

  private final HttpServerOptions options;
  private final GatewayConfig.Server server;
  private final AtomicInteger open = new AtomicInteger();
  private final Counter refused;
  private final Counter stalled;

  public ClientConnections(
      HttpServerOptions options, GatewayConfig.Server server, MeterRegistry registry) {
    this.options = options;
    this.server = server;
    Gauge.builder("gateway_client_connections", open, AtomicInteger::get)
        .description("Open client connections")
        .register(registry);
    this.refused =
        Counter.builder("gateway_client_connections_refused_total")
            .description("Connections closed at once because server.max_connections were open")
            .register(registry);
    this.stalled =
        Counter.builder("gateway_client_write_timeouts_total")
            .description("Connections closed because the client did not read its answer in time")
            .register(registry);
  }

  /** For {@code HttpServer.connectionHandler}: runs on the connection's event loop. */
  public void accept(HttpConnection connection) {
    if (open.incrementAndGet() > server.maxConnections()) {
      open.decrementAndGet();
      refused.increment();
      connection.close();
      return;
    }
    connection.closeHandler(closed -> open.decrementAndGet());
    ChannelPipeline pipeline = ((ConnectionBase) connection).channelHandlerContext().pipeline();
    // With cleartext HTTP/2 on, Vert.x creates an HTTP/1.x connection only after its first head
    // was decoded (to see whether it asks for an upgrade): swapping the decoder then would lose
    // the bytes it holds, so such connections keep Netty's decoder as Vert.x set it up.
    if (pipeline.get(HTTP_DECODER) != null && pipeline.get(H2C_UPGRADE) == null) {
      pipeline.replace(
          HTTP_DECODER, HTTP_DECODER, new EdgeRequestDecoder(options, server.headTimeoutMs()));
    }
    pipeline.addFirst(new WriteDeadline(server.writeTimeoutMs(), stalled));
  }

  /**
   * Marks a connection whose answer says {@code Connection: close}: RFC 9112 §9.6 forbids
   * processing any further request on it, and one may already be decoded behind this one.
   */
  static void markClosing(HttpConnection connection) {
    channelOf(connection).attr(CLOSING).set(Boolean.TRUE);
  }

  /** Whether an earlier answer on this connection said it closes. */
  static boolean isClosing(HttpConnection connection) {
    return channelOf(connection).hasAttr(CLOSING);
  }

  /** Closes at once, with no answer: for requests that must not be processed at all. */
  static void cut(HttpConnection connection) {
    channelOf(connection).close();
  }

  /** Resets at once (RST, not FIN), with no answer: what a crashing server looks like. */
  static void reset(HttpConnection connection) {
    Channel channel = channelOf(connection);
    if (channel.isActive()) {
      channel.config().setOption(ChannelOption.SO_LINGER, 0);
    }
    channel.close();
  }

  private static Channel channelOf(HttpConnection connection) {
    return ((ConnectionBase) connection).channel();
  }

  /**
   * Closes a connection whose socket stays unwritable — its send buffer full because the client
   * reads nothing — for longer than the write timeout. A slow reader that keeps taking bytes turns
   * the channel writable again and restarts the clock.
   */
  private static final class WriteDeadline extends ChannelInboundHandlerAdapter {
    private final long timeoutMs;
    private final Counter stalled;
    private ScheduledFuture<?> deadline;

    WriteDeadline(long timeoutMs, Counter stalled) {
      this.timeoutMs = timeoutMs;
      this.stalled = stalled;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
      if (!ctx.channel().isWritable() && deadline == null) {
        deadline = ctx.executor().schedule(() -> expire(ctx), timeoutMs, TimeUnit.MILLISECONDS);
      } else if (ctx.channel().isWritable()) {
        cancel();
      }
      super.channelWritabilityChanged(ctx);
    }

    private void expire(ChannelHandlerContext ctx) {
      deadline = null;
      if (!ctx.channel().isWritable()) {
        stalled.increment();
        // A reset, not a close: a close would still hand the kernel's send buffer (megabytes) to
        // the client whenever it reads again; the connection must let go of it now.
        ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
        ctx.channel().close();
      }
    }

    private void cancel() {
      if (deadline != null) {
        deadline.cancel(false);
        deadline = null;
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      cancel();
      super.channelInactive(ctx);
    }
  }
}
