package dev.triggergate.http;

import dev.triggergate.api.ApiError;
import dev.triggergate.api.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.HostAndPort;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Netty's HTTP/1.1 request decoder (as Vert.x configures it) with the edge's rules on top: a
 * request whose framing two parsers could read differently is refused, and a request head must
 * arrive within its deadline.
 *
 * <p>A refusal here becomes an invalid message — Netty's own path for a malformed head — so the
 * decoder discards every byte after it and Vert.x closes the connection once the refusal is
 * answered: nothing smuggled behind it is ever read as a request. The refusal itself is an {@link
 * ApiError}, which the one renderer turns into the envelope.
 */
final class EdgeRequestDecoder extends VertxHttpRequestDecoder {
  private static final int CONTENT_LENGTH_LENGTH = HttpHeaderNames.CONTENT_LENGTH.length();

  private final long headTimeoutMs;
  private int contentLengths;
  private ScheduledFuture<?> headDeadline;
  private boolean inMessage;
  private boolean expired;

  EdgeRequestDecoder(HttpServerOptions options, long headTimeoutMs) {
    super(options);
    this.headTimeoutMs = headTimeoutMs;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out)
      throws Exception {
    if (expired) {
      buffer.skipBytes(buffer.readableBytes());
      return;
    }
    if (!inMessage && startsHead(buffer)) {
      inMessage = true;
      headDeadline =
          ctx.executor().schedule(() -> headExpired(ctx), headTimeoutMs, TimeUnit.MILLISECONDS);
    }
    int before = out.size();
    super.decode(ctx, buffer, out);
    for (int i = before; i < out.size(); i++) {
      Object decoded = out.get(i);
      if (decoded instanceof HttpMessage message) {
        cancelHeadDeadline();
        // After a refusal nothing on this connection is a request any more.
        expired |= message.decoderResult().isFailure();
      }
      if (decoded instanceof LastHttpContent) {
        inMessage = false;
      }
    }
  }

  /** CR and LF between requests are not a head yet (RFC 9112 §2.2 lets a server skip them). */
  private static boolean startsHead(ByteBuf buffer) {
    for (int i = buffer.readerIndex(); i < buffer.writerIndex(); i++) {
      byte b = buffer.getByte(i);
      if (b != '\r' && b != '\n') {
        return true;
      }
    }
    return false;
  }

  private void headExpired(ChannelHandlerContext ctx) {
    headDeadline = null;
    expired = true;
    // Vert.x answers an invalid message through the server's invalid-request handler and closes
    // the connection after it, which is exactly what a client too slow with its head gets.
    DefaultFullHttpRequest timedOut = invalidRequest();
    timedOut.setDecoderResult(
        DecoderResult.failure(
            ApiError.of(
                    ErrorCode.REQUEST_TIMEOUT,
                    "the request head did not arrive within " + headTimeoutMs + " ms")
                .closing()));
    ctx.fireChannelRead(timedOut);
    ctx.fireChannelReadComplete();
  }

  private void cancelHeadDeadline() {
    if (headDeadline != null) {
      headDeadline.cancel(false);
      headDeadline = null;
    }
  }

  @Override
  protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
    cancelHeadDeadline();
    super.handlerRemoved0(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    cancelHeadDeadline();
    super.channelInactive(ctx);
  }

  /** The request line: only HTTP/1.0 and HTTP/1.1, spelled exactly (RFC 9112 §2.3). */
  @Override
  protected HttpMessage createMessage(String[] initialLine) {
    String version = initialLine[2];
    if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
      throw versionRefusal(version);
    }
    if (!isToken(initialLine[0])) {
      throw refusal("the method is not a token");
    }
    if (!isVisibleAscii(initialLine[1])) {
      // RFC 3986: a URI is visible ASCII; anything else is percent-encoded by a real client.
      throw refusal("the request target holds a control or non-ASCII character");
    }
    contentLengths = 0;
    return super.createMessage(initialLine);
  }

  /**
   * Counts {@code Content-Length} fields as Netty reads them: for HTTP/1.0 Netty keeps the first of
   * several and drops the rest before anyone sees them (RFC 9112 §6.3 calls several invalid).
   */
  @Override
  protected AsciiString splitHeaderName(byte[] sb, int start, int length) {
    AsciiString name = super.splitHeaderName(sb, start, length);
    if (length == CONTENT_LENGTH_LENGTH
        && HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)
        && ++contentLengths > 1) {
      throw refusal("more than one Content-Length");
    }
    return name;
  }

  /**
   * Netty's stand-in for a request line it could not read is HTTP/1.0; the refusal is answered in
   * the version this server speaks (RFC 9110 §6.2).
   */
  @Override
  protected HttpMessage createInvalidMessage() {
    return invalidRequest();
  }

  private static DefaultFullHttpRequest invalidRequest() {
    DefaultFullHttpRequest request =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1, HttpMethod.GET, "/", Unpooled.EMPTY_BUFFER);
    // A Host, or vertx-web refuses it before the access log and metrics see it.
    request.headers().set(HttpHeaderNames.HOST, "localhost");
    return request;
  }

  private static ApiError versionRefusal(String version) {
    boolean wellFormed =
        version.length() == 8
            && version.startsWith("HTTP/")
            && Character.isDigit(version.charAt(5))
            && version.charAt(6) == '.'
            && Character.isDigit(version.charAt(7));
    return wellFormed
        ? ApiError.of(ErrorCode.VERSION_NOT_SUPPORTED, "only HTTP/1.0 and HTTP/1.1 are served here")
            .closing()
        : refusal("the request line does not end in an HTTP version");
  }

  private static boolean isVisibleAscii(String target) {
    for (int i = 0; i < target.length(); i++) {
      if (target.charAt(i) <= ' ' || target.charAt(i) > '~') {
        return false;
      }
    }
    return true;
  }

  private static boolean isToken(String method) {
    for (int i = 0; i < method.length(); i++) {
      char c = method.charAt(i);
      boolean tchar =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!tchar) {
        return false;
      }
    }
    return !method.isEmpty();
  }

  /**
   * Called by Netty once the whole head is parsed, before it decides how the body is framed: the
   * one place to refuse framing that a server and a proxy in front of it could read apart.
   */
  @Override
  protected boolean isContentAlwaysEmpty(HttpMessage message) {
    checkFraming(message);
    return super.isContentAlwaysEmpty(message);
  }

  private static void checkFraming(HttpMessage message) {
    HttpHeaders headers = message.headers();
    boolean http10 = message.protocolVersion() == HttpVersion.HTTP_1_0;
    List<String> codings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
    List<String> lengths = headers.getAll(HttpHeaderNames.CONTENT_LENGTH);
    if (!codings.isEmpty()) {
      // RFC 9112 §6.1: Transfer-Encoding with Content-Length, or in HTTP/1.0, is faulty framing;
      // §6.3: a request whose final coding is not chunked cannot be delimited. Only chunked
      // alone can be read the same by every parser.
      if (!lengths.isEmpty()) {
        throw refusal("Content-Length together with Transfer-Encoding");
      }
      if (http10) {
        throw refusal("Transfer-Encoding in an HTTP/1.0 request");
      }
      if (codings.size() != 1 || !codings.get(0).trim().equalsIgnoreCase("chunked")) {
        throw refusal("Transfer-Encoding other than chunked alone");
      }
    }
    List<String> hosts = headers.getAll(HttpHeaderNames.HOST);
    // RFC 9112 §3.2: exactly one valid Host in HTTP/1.1; HTTP/1.0 may leave it out.
    if (hosts.size() > 1) {
      throw refusal("more than one Host header");
    }
    if (hosts.isEmpty() && !http10) {
      throw refusal("no Host header");
    }
    if (!hosts.isEmpty() && HostAndPort.parseAuthority(hosts.get(0).trim(), -1) == null) {
      throw refusal("the Host header is not a valid host[:port]");
    }
  }

  private static ApiError refusal(String why) {
    return ApiError.invalid("malformed request: " + why).closing();
  }
}
