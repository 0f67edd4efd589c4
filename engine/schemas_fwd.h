// The generated schema types the engine speaks (schemas/*.fbs; generated into the build tree).
#pragma once

#include "actions_generated.h"
#include "common_generated.h"
#include "decisions_generated.h"
