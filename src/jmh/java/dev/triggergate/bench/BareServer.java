package dev.triggergate.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * The load test's baseline: a bare Vert.x server that reads each body whole and answers a fixed
 * success envelope, so the gateway's cost shows as the ratio between the two.
 */
public final class BareServer extends VerticleBase {
  private static final Buffer SUCCESS =
      Buffer.buffer("{\"error\":0,\"error_text\":\"Successful operation\",\"result\":[]}");

  private final int port;

  private BareServer(int port) {
    this.port = port;
  }

  /** Listens on 127.0.0.1 at the port given as the only argument, one verticle per core. */
  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    deployPerCore(Vertx.vertx(), () -> new BareServer(port), "bare server", port);
  }

  /** Starts a forwarder from the command line: its own port first, then the backend's. */
  static void deployForwarder(
      String[] args, BiFunction<Integer, Integer, VerticleBase> forwarder, String name) {
    int port = Integer.parseInt(args[0]);
    int backendPort = Integer.parseInt(args[1]);
    deployPerCore(
        Vertx.vertx(new VertxOptions().setPreferNativeTransport(true)),
        () -> forwarder.apply(port, backendPort),
        name,
        port);
  }

  /** Deploys one instance per core, then says where it listens; exits if it cannot. */
  static void deployPerCore(Vertx vertx, Supplier<VerticleBase> server, String name, int port) {
    vertx
        .deployVerticle(
            server,
            new DeploymentOptions().setInstances(Runtime.getRuntime().availableProcessors()))
        .onSuccess(id -> System.out.println(name + " listening on 127.0.0.1:" + port))
        .onFailure(
            failure -> {
              failure.printStackTrace();
              System.exit(1);
            });
  }

  @Override
  public Future<?> start() {
    HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(port);
    return vertx
        .createHttpServer(options)
        .requestHandler(
            request ->
                request
                    .body()
                    .onSuccess(
                        body ->
                            request
                                .response()
                                .putHeader("content-type", "application/json")
                                .end(SUCCESS))
                    .onFailure(failure -> request.connection().close()))
        .listen();
  }
}
