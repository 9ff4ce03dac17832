package dev.triggergate.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.triggergate.config.ConfigException;
import dev.triggergate.engine.Matching;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An upload cut into chunks anywhere (inside a line, inside a UTF-8 character, between CR and LF)
 * gives the same set as one chunk; a line over the cap is refused with its number however it
 * arrives.
 */
class ProfileUploadLinesTest {
  /** Five profiles, blank lines, CRLF endings, a multi-byte name, and no newline at the end. */
  private static final String UPLOAD =
      "{\"profile_id\": \"aaaaaaaaaaaaaaaaaaaaaaa1\", \"email\": \"anna@example.com\"}\n"
          + "\n"
          + "{\"profile_id\": \"aaaaaaaaaaaaaaaaaaaaaaa2\", \"fields\": {\"city\": \"Zürich\"}}\r\n"
          + "   \t\r\n"
          + "{\"profile_id\": \"aaaaaaaaaaaaaaaaaaaaaaa3\", \"phone\": \"+7 900 000-00-03\"}\n"
          + "{\"profile_id\": \"aaaaaaaaaaaaaaaaaaaaaaa4\", \"fields\": {\"note\": \""
          + "long ".repeat(2_000)
          + "\"}}\n"
          + "{\"profile_id\": \"aaaaaaaaaaaaaaaaaaaaaaa5\", \"email\": \"eve@example.com\"}";

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 7, 64, 1000, 1 << 20})
  void anyChunkingGivesTheSameSet(int chunkSize) {
    ProfileUpload upload = new ProfileUpload(1, false);
    byte[] bytes = UPLOAD.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i += chunkSize) {
      upload.take(Buffer.buffer().appendBytes(bytes, i, Math.min(chunkSize, bytes.length - i)));
    }

    assertThat(upload.finish()).isEqualTo(5);
    ProfileIndex index = upload.index;
    assertThat(index.find(Matching.EMAIL, Map.of("email", "anna@example.com"), null))
        .isEqualTo("aaaaaaaaaaaaaaaaaaaaaaa1");
    assertThat(index.find(Matching.CUSTOM, Map.of("field_value", "Zürich"), "city"))
        .isEqualTo("aaaaaaaaaaaaaaaaaaaaaaa2");
    assertThat(index.find(Matching.PHONE, Map.of("phone", "79000000003"), null))
        .isEqualTo("aaaaaaaaaaaaaaaaaaaaaaa3");
    assertThat(
            index.find(Matching.PROFILE_ID, Map.of("profile_id", "aaaaaaaaaaaaaaaaaaaaaaa4"), null))
        .isEqualTo("aaaaaaaaaaaaaaaaaaaaaaa4");
    // The last line, with no newline after it, is parsed when the upload ends.
    assertThat(index.find(Matching.EMAIL, Map.of("email", "eve@example.com"), null))
        .isEqualTo("aaaaaaaaaaaaaaaaaaaaaaa5");
  }

  @ParameterizedTest
  @ValueSource(ints = {1000, 65_536, 1 << 20, 3 << 20})
  void aLineOverTheCapIsRefusedWithItsNumberAndOneAtTheCapIsTaken(int chunkSize) {
    String good = "{\"profile_id\": \"aaaaaaaaaaaaaaaaaaaaaaa1\"}\n";
    String padding = "{\"profile_id\": \"aaaaaaaaaaaaaaaaaaaaaaa2\", \"fields\": {\"x\": \"\"}}";
    // A line of exactly the cap (its newline not counted), then one a byte longer.
    String atCap =
        padding.substring(0, padding.length() - 3)
            + "y".repeat(ProfileUpload.MAX_LINE_BYTES - padding.length())
            + "\"}}";
    String overCap = "z" + atCap;
    assertThat(atCap).hasSize(ProfileUpload.MAX_LINE_BYTES);

    ProfileUpload taken = new ProfileUpload(1, false);
    feed(taken, good + atCap + "\n" + good, chunkSize);
    assertThat(taken.finish()).isEqualTo(2);

    ProfileUpload refused = new ProfileUpload(2, false);
    assertThatThrownBy(() -> feed(refused, good + "\n" + overCap + "\n" + good, chunkSize))
        .isInstanceOf(ConfigException.class)
        .hasMessage("line 3: longer than 1048576 bytes (one profile a line)");

    // Never ended: refused as the bytes pile up, before any newline or the end comes.
    ProfileUpload endless = new ProfileUpload(3, false);
    assertThatThrownBy(() -> feed(endless, good + "x".repeat(3 << 20), chunkSize))
        .isInstanceOf(ConfigException.class)
        .hasMessage("line 2: longer than 1048576 bytes (one profile a line)");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 5, 1000})
  void aBadLineIsNamedByItsNumberWhereverTheChunksCut(int chunkSize) {
    ProfileUpload upload = new ProfileUpload(1, false);
    String text =
        "{\"profile_id\": \"aaaaaaaaaaaaaaaaaaaaaaa1\"}\r\n\r\n"
            + "{\"profile_id\": \"aaaaaaaaaaaaaaaaaaaaaaa2\"}\n"
            + "{\"profile_id\": \"aaaaaaaaaaaaaaaaaaaaaaa3\"} {\"profile_id\": \"trailing\"}\n"
            + "{\"profile_id\": \"aaaaaaaaaaaaaaaaaaaaaaa4\"}\n";

    assertThatThrownBy(() -> feed(upload, text, chunkSize))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("line 4: not a JSON object");
  }

  private static void feed(ProfileUpload upload, String text, int chunkSize) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i += chunkSize) {
      upload.take(Buffer.buffer().appendBytes(bytes, i, Math.min(chunkSize, bytes.length - i)));
    }
  }
}
