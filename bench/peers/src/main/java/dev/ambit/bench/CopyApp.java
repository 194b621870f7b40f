package dev.ambit.bench;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/** Stateless peer: copies every input record's key and value bytes, unchanged, to the output topic. */
public final class CopyApp {
  private CopyApp() {}

  public static void main(String[] argv) {
    Args args = Args.parse("CopyApp", argv);
    StreamsBuilder builder = new StreamsBuilder();
    builder
        .stream(args.input, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
        .peek((key, value) -> Lifecycle.recordSeen())
        .to(args.output, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
    Lifecycle.run(builder.build(), args.streamsConfig());
  }
}
