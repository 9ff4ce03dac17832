package dev.triggergate;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the multi-node fixtures ({@link RedisCluster}, {@link RedisSentinel}) share: sending a node
 * an admin command, and polling on Vert.x timers until the nodes agree, under a deadline.
 */
final class RedisFixtures {
  private static final Logger LOG = LoggerFactory.getLogger(RedisFixtures.class);

  /** One admin command, at most. */
  static final long COMMAND_MS = 5_000;

  /** Nodes coming to agree (a cluster formed, a failover), at most. */
  static final long AGREE_MS = 30_000;

  private static final long POLL_MS = 50;

  private RedisFixtures() {}

  static Future<Response> send(Redis admin, String... words) {
    Request request = Request.cmd(Command.create(words[0]));
    for (String word : Arrays.asList(words).subList(1, words.length)) {
      request.arg(word);
    }
    return admin.send(request).timeout(COMMAND_MS, TimeUnit.MILLISECONDS);
  }

  static <T> T await(Future<T> future, long ms) {
    return future.timeout(ms, TimeUnit.MILLISECONDS).await();
  }

  /** The first problem any of these nodes reports, or null when none has one. */
  static <N> Future<String> firstProblem(
      List<N> nodes, Function<N, Future<String>> check, Function<N, String> name) {
    List<Future<String>> views =
        nodes.stream()
            // A node that cannot answer yet is a problem to wait out, not a failure.
            .map(node -> check.apply(node).otherwise(e -> name.apply(node) + ": " + e))
            .toList();
    return Future.all(views)
        .map(all -> views.stream().map(Future::result).filter(Objects::nonNull).findFirst())
        .map(first -> first.orElse(null));
  }

  /** Polls until the check reports no problem, failing with the last one past the deadline. */
  static Future<Void> until(
      Vertx vertx, String topology, String what, Supplier<Future<String>> check) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(AGREE_MS - 1_000);
    return until(vertx, topology, what, check, deadline);
  }

  private static Future<Void> until(
      Vertx vertx, String topology, String what, Supplier<Future<String>> check, long deadline) {
    return check
        .get()
        .compose(
            problem -> {
              if (problem == null) {
                return Future.succeededFuture();
              }
              if (System.nanoTime() > deadline) {
                return Future.failedFuture(
                    new IllegalStateException(topology + ": not " + what + " in time; " + problem));
              }
              return vertx
                  .timer(POLL_MS)
                  .compose(fired -> until(vertx, topology, what, check, deadline));
            });
  }

  /**
   * SET, then WAIT for one replica on the same connection: how many replicas have the write (1 when
   * it is on the replica too).
   */
  static int setAndWait(Redis client, String key, String value) {
    List<Response> answers =
        client
            .batch(
                List.of(Request.cmd(Command.SET, key, value), Request.cmd(Command.WAIT, 1, 1000)))
            .timeout(COMMAND_MS, TimeUnit.MILLISECONDS)
            .await();
    return answers.get(1).toInteger();
  }

  /** A field of an INFO answer. */
  static String field(String info, String name) {
    for (String line : info.split("\r?\n")) {
      if (line.startsWith(name + ":")) {
        return line.substring(name.length() + 1).trim();
      }
    }
    return null;
  }

  static void delete(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      LOG.warn("could not delete {}: {}", dir, e.toString());
    }
  }
}
