#include "app/main.h"

#include <iostream>

namespace medic::app {

int runMain(int /*argc*/, char** /*argv*/) {
  std::cout << "medic " << MEDIC_VERSION << "\n";
  return 0;
}

}  // namespace medic::app
