package dev.triggergate.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.triggergate.config.ConfigException;
import dev.triggergate.config.GatewayConfig.Auth;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The allow-list on its own: which tokens pass, and how the hashes file is read. */
class TokenAllowListTest {
  /** {@code printf %s abc | sha256sum}, the FIPS 180-2 test vector. */
  private static final String ABC_DIGEST =
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

  @TempDir Path dir;

  @Test
  void nothingConfiguredLetsEveryTokenPass() {
    TokenAllowList allowList = TokenAllowList.load(new Auth(List.of(), null));

    assertThat(allowList.allowsEveryToken()).isTrue();
    assertThat(allowList.allows("anything")).isTrue();
  }

  @Test
  void listedTokensPassAndNoOther() {
    TokenAllowList allowList = TokenAllowList.load(new Auth(List.of("tok-a", "tok-b"), null));

    assertThat(allowList.allowsEveryToken()).isFalse();
    assertThat(allowList.allows("tok-a")).isTrue();
    assertThat(allowList.allows("tok-b")).isTrue();
    assertThat(allowList.allows("tok-c")).isFalse();
    assertThat(allowList.allows("TOK-A")).isFalse();
    assertThat(allowList.allows("tok-a ")).isFalse();
    assertThat(allowList.allows("")).isFalse();
  }

  @Test
  void theFileHoldsDigestsAsSha256sumPrintsThem() throws IOException {
    Path file =
        write(
            "# clients of the edge\n",
            "\n",
            ABC_DIGEST + "\r\n",
            "   \n",
            "  " + sha256hex("ключ-ü").toUpperCase() + "  \n");

    TokenAllowList allowList = TokenAllowList.load(new Auth(List.of(), file.toString()));

    assertThat(allowList.allows("abc")).isTrue();
    assertThat(allowList.allows("ключ-ü")).isTrue();
    assertThat(allowList.allows("abd")).isFalse();
    // A line is a digest, never a token: presenting the digest itself gets nowhere.
    assertThat(allowList.allows(ABC_DIGEST)).isFalse();
  }

  @Test
  void tokensAndFileAddUp() throws IOException {
    Path file = write(sha256hex("from-file") + "\n");

    TokenAllowList allowList = TokenAllowList.load(new Auth(List.of("from-list"), file.toString()));

    assertThat(allowList.allows("from-list")).isTrue();
    assertThat(allowList.allows("from-file")).isTrue();
    assertThat(allowList.allows("from-elsewhere")).isFalse();
  }

  @Test
  void aFileWithoutDigestsStopsStartUpRatherThanLetEveryTokenPass() throws IOException {
    Path file = write("# nobody yet\n", "\n");

    assertThatThrownBy(() -> TokenAllowList.load(new Auth(List.of("tok-a"), file.toString())))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("auth.allowed_tokens_file: \"" + file + "\" holds no digest");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "secret-token-pasted-by-mistake",
        // 63 and 65 hex digits
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015add",
        // sha256sum's whole output: the digest must stand alone
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  -",
        "zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
      })
  void aMalformedLineStopsStartUpNamingTheKeyAndTheLine(String bad) throws IOException {
    Path file = write("# header\n", ABC_DIGEST + "\n", "\n", bad + "\n", ABC_DIGEST + "\n");

    assertThatThrownBy(() -> TokenAllowList.load(new Auth(List.of(), file.toString())))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("auth.allowed_tokens_file: line 4 of \"" + file + "\"")
        .hasMessageContaining("64 hex digits")
        // The line may be a token: it is never repeated in the message.
        .message()
        .doesNotContain(bad);
  }

  private Path write(String... lines) throws IOException {
    Path file = dir.resolve("tokens.sha256");
    Files.writeString(file, String.join("", lines), StandardCharsets.UTF_8);
    return file;
  }

  static String sha256hex(String token) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha256.digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
