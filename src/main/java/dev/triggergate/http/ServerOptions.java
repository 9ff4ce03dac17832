package dev.triggergate.http;

import dev.triggergate.config.GatewayConfig;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PfxOptions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** The HTTP server's options from the {@code server} section: listener, head caps, TLS, HTTP/2. */
public final class ServerOptions {
  private ServerOptions() {}

  public static HttpServerOptions of(GatewayConfig.Server server) {
    HttpServerOptions options =
        new HttpServerOptions()
            .setHost(server.host())
            .setPort(server.port())
            // The body is asked for only once the cheap refusals are behind us (BodyReader).
            .setHandle100ContinueAutomatically(false)
            .setIdleTimeout((int) server.idleTimeoutMs())
            .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
            .setMaxHeaderSize(server.maxHeaderBytes())
            .setMaxInitialLineLength(server.maxUriBytes())
            .setHttp2ClearTextEnabled(server.h2c())
            .setInitialSettings(
                new Http2Settings()
                    .setMaxConcurrentStreams(server.http2().maxConcurrentStreams())
                    .setMaxHeaderListSize(server.http2().maxHeaderListBytes()));
    GatewayConfig.Tls tls = server.tls();
    if (tls != null) {
      options
          .setSsl(true)
          .setUseAlpn(true)
          .setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1))
          .setEnabledSecureTransportProtocols(Set.of("TLSv1.2", "TLSv1.3"));
      if (tls.pkcs12() != null) {
        options.setKeyCertOptions(
            new PfxOptions().setPath(tls.pkcs12()).setPassword(tls.password()));
      } else {
        options.setKeyCertOptions(
            new PemKeyCertOptions().setCertPath(tls.certChain()).setKeyPath(tls.key()));
      }
    }
    return options;
  }
}
