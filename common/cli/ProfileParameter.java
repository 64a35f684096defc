package common.cli;

import common.cluster.ClusterProfile;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads the {@code dev|prod} argument, naming the valid profiles when it is something else. */
public class ProfileParameter implements ITypeConverter<ClusterProfile> {
    @Override
    public ClusterProfile convert(String value) {
        try {
            return ClusterProfile.parse(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
