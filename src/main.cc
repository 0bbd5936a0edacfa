#include "app/main.h"

int main(int argc, char** argv) { return medic::app::runMain(argc, argv); }
