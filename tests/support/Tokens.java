package tests.support;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;

/** Counts tokens as an agent pays for them (cl100k; Claude's tokenizer counts a little higher). */
public final class Tokens {
    private static final Encoding CL100K = Encodings.newDefaultEncodingRegistry()
            .getEncoding(EncodingType.CL100K_BASE);

    private Tokens() {
    }

    public static int count(String text) {
        return CL100K.countTokens(text);
    }
}
