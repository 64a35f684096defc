package common.cli;

import java.util.regex.Pattern;

/**
 * Text from outside (an API server's message, a pod's reason, a Kafka error) made safe to print on a terminal:
 * escape sequences and control characters could retitle, recolour or rewrite the user's screen.
 */
public final class TerminalText {
    /** CSI and OSC sequences (ESC [ ... final byte; ESC ] ... BEL or ST), then any other control character. */
    private static final Pattern ESCAPES = Pattern.compile("\u001B\\[[0-?]*[ -/]*[@-~]|\u001B\\][^\u0007\u001B]*"
            + "(\u0007|\u001B\\\\)?|\u009B[0-?]*[ -/]*[@-~]");
    private static final Pattern CONTROLS = Pattern.compile("[\\x00-\\x08\\x0B-\\x1F\\x7F-\\x9F]");

    private TerminalText() {
    }

    /** The text without escape sequences or control characters; line breaks and tabs stay. */
    public static String clean(String text) {
        return text == null ? null : CONTROLS.matcher(ESCAPES.matcher(text).replaceAll("")).replaceAll("");
    }
}
