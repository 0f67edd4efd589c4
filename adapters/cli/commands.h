// The kezek commands, one file each (adapters/cli/<command>.cc). Each takes main's argc/argv
// (argv[1] is the command) and returns the process's exit status: 0 success, 1 failure (the
// message says what and where), 2 usage error. main.cc lists them in its table of commands.
#pragma once

namespace kezek::cli {

int Append(int argc, char** argv);
int Backup(int argc, char** argv);
int Demo(int argc, char** argv);
int Explain(int argc, char** argv);
int Fold(int argc, char** argv);
int Journal(int argc, char** argv);
int Kafka(int argc, char** argv);
// The Kafka forms of run and append (adapters/cli/kafka.cc), which Run and Append hand over to
// when they are given --kafka.
int KafkaAppend(int argc, char** argv);
int KafkaRun(int argc, char** argv);
int Run(int argc, char** argv);
int Sample(int argc, char** argv);
int Serve(int argc, char** argv);
int StatusCommand(int argc, char** argv);
int Projections(int argc, char** argv);
int Replay(int argc, char** argv);
int Stats(int argc, char** argv);
int Templates(int argc, char** argv);

}  // namespace kezek::cli
