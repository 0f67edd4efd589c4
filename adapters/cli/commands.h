// The kezek commands that live in files of their own (adapters/cli/<command>.cc); each takes
// main's argc/argv (argv[1] is the command) and returns the process's exit code.
#pragma once

namespace kezek::cli {

int Serve(int argc, char** argv);
int Projections(int argc, char** argv);

}  // namespace kezek::cli
