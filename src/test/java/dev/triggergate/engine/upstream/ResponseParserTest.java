package dev.triggergate.engine.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The HTTP/1.1 answer parser on the byte sequences upstreams really send, fed whole and split at
 * every position (a TCP read may end anywhere), and on the ones it must refuse.
 */
class ResponseParserTest {
  private static final String LENGTH_ANSWER =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n"
          + "X-Two: a\r\nX-Two: b\r\n\r\n{\"error\":0}";

  private static final String CHUNKED_ANSWER =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "4;name=value\r\n{\"er\r\n7\r\nror\":0}\r\n0\r\nX-Trailer: t\r\n\r\n";

  /** What the parser reported, in order. */
  private static final class Seen implements ResponseParser.Listener {
    final List<Integer> statuses = new ArrayList<>();
    MultiMap headers;
    final Buffer body = Buffer.buffer();
    final List<Boolean> ends = new ArrayList<>();

    @Override
    public void head(int status, MultiMap headers) {
      statuses.add(status);
      this.headers = headers;
    }

    @Override
    public void body(Buffer part) {
      body.appendBuffer(part);
    }

    @Override
    public void end(boolean reusable) {
      ends.add(reusable);
    }
  }

  @Test
  void readsAnAnswerFramedByItsLengthHowEverTheBytesAreSplit() throws Exception {
    for (int split = 0; split <= LENGTH_ANSWER.length(); split++) {
      Seen seen = feed(LENGTH_ANSWER, split);

      assertThat(seen.statuses).containsExactly(200);
      assertThat(seen.headers.getAll("x-two")).containsExactly("a", "b");
      assertThat(seen.headers.get("Content-Type")).isEqualTo("application/json");
      assertThat(seen.body.toString()).isEqualTo("{\"error\":0}");
      assertThat(seen.ends).as("split at %d", split).containsExactly(true);
    }
  }

  @Test
  void readsAChunkedAnswerHowEverTheBytesAreSplit() throws Exception {
    for (int split = 0; split <= CHUNKED_ANSWER.length(); split++) {
      Seen seen = feed(CHUNKED_ANSWER, split);

      assertThat(seen.body.toString()).as("split at %d", split).isEqualTo("{\"error\":0}");
      assertThat(seen.ends).as("split at %d", split).containsExactly(true);
    }
  }

  @Test
  void readsTheNextAnswerOnTheSameConnection() throws Exception {
    Seen seen = new Seen();
    ResponseParser parser = new ResponseParser(seen);
    parser.expectAnswer();
    parser.read(Buffer.buffer(CHUNKED_ANSWER));
    parser.expectAnswer();
    parser.read(Buffer.buffer(LENGTH_ANSWER));

    assertThat(seen.statuses).containsExactly(200, 200);
    assertThat(seen.body.toString()).isEqualTo("{\"error\":0}{\"error\":0}");
    assertThat(seen.ends).containsExactly(true, true);
  }

  @Test
  void skipsInterimAnswers() throws Exception {
    Seen seen =
        feed(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                + LENGTH_ANSWER,
            0);

    assertThat(seen.statuses).containsExactly(200);
    assertThat(seen.body.toString()).isEqualTo("{\"error\":0}");
  }

  @Test
  void acceptsBareLineFeedsAndRepeatedEqualLengths() throws Exception {
    Seen seen = feed("HTTP/1.1 404 Not Found\nContent-Length: 2, 2\nContent-Length: 2\n\nno", 0);

    assertThat(seen.statuses).containsExactly(404);
    assertThat(seen.body.toString()).isEqualTo("no");
    assertThat(seen.ends).containsExactly(true);
  }

  @Test
  void anAnswerWithoutABodyEndsAtItsHead() throws Exception {
    assertThat(feed("HTTP/1.1 204 No Content\r\n\r\n", 0).ends).containsExactly(true);
    assertThat(feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0).ends).containsExactly(true);
  }

  @Test
  void aConnectionTheUpstreamWillCloseIsNotReused() throws Exception {
    assertThat(feed("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", 0).ends)
        .containsExactly(false);
    assertThat(feed("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 0).ends)
        .containsExactly(false);
    assertThat(feed(LENGTH_ANSWER + "HTTP/1.1 200 OK\r\n", 0).ends)
        .as("bytes after the answer")
        .containsExactly(false);
    assertThat(
            feed(
                    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "2\r\nok\r\n0\r\n\r\n",
                    0)
                .ends)
        .as("both framings: a smuggling attempt")
        .containsExactly(false);
  }

  @Test
  void anAnswerWithoutFramingEndsWhenTheUpstreamCloses() throws Exception {
    Seen seen = new Seen();
    ResponseParser parser = new ResponseParser(seen);
    parser.expectAnswer();
    parser.read(Buffer.buffer("HTTP/1.1 200 OK\r\n\r\nall of "));
    parser.read(Buffer.buffer("it"));

    assertThat(seen.ends).isEmpty();
    assertThat(parser.closed()).isTrue();
    assertThat(seen.body.toString()).isEqualTo("all of it");
    assertThat(seen.ends).containsExactly(false);
  }

  @Test
  void anAnswerCutShortIsNotEndedByTheClose() throws Exception {
    Seen seen = new Seen();
    ResponseParser parser = new ResponseParser(seen);
    parser.expectAnswer();
    parser.read(Buffer.buffer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf"));

    assertThat(parser.closed()).isFalse();
    assertThat(seen.ends).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "SSH-2.0-OpenSSH_9.2\r\n\r\n",
        "HTTP/2 200\r\n\r\n",
        "HTTP/1.1 2OO OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-Bad : a\r\n\r\n",
        "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokay\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
      })
  void refusesWhatCannotBeFramed(String bytes) {
    ResponseParser parser = new ResponseParser(new Seen());
    parser.expectAnswer();

    assertThatThrownBy(() -> parser.read(Buffer.buffer(bytes)))
        .isInstanceOf(ResponseParser.NotHttp.class);
  }

  @Test
  void refusesAHeadLongerThanItsCapAndBytesNobodyAskedFor() {
    ResponseParser parser = new ResponseParser(new Seen());
    parser.expectAnswer();
    Buffer endless = Buffer.buffer("HTTP/1.1 200 OK\r\n");
    while (endless.length() <= ResponseParser.MAX_HEAD_BYTES) {
      endless.appendString("X-Filler: 0123456789abcdef0123456789abcdef\r\n");
    }

    assertThatThrownBy(() -> parser.read(endless)).isInstanceOf(ResponseParser.NotHttp.class);
    assertThatThrownBy(() -> new ResponseParser(new Seen()).read(Buffer.buffer("HTTP/1.1 408")))
        .isInstanceOf(ResponseParser.NotHttp.class);
  }

  /** Feeds the answer in two reads split at {@code split} (0: one read). */
  private static Seen feed(String answer, int split) throws Exception {
    Seen seen = new Seen();
    ResponseParser parser = new ResponseParser(seen);
    parser.expectAnswer();
    Buffer bytes = Buffer.buffer(answer);
    if (split > 0) {
      parser.read(bytes.slice(0, split));
      if (split < bytes.length()) {
        parser.read(bytes.slice(split, bytes.length()));
      }
    } else {
      parser.read(bytes);
    }
    return seen;
  }
}
