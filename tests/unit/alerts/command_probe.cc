// A stand-in alert command for the tests: writes its environment (one NAME=value per line) to
// argv[1] and its stdin to argv[2], then exits with argv[3] (default 0). With argv[4] it first
// sleeps that many milliseconds (a hung command).
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <thread>

extern char** environ;

int main(int argc, char** argv) {
  if (argc < 3) return 64;
  if (argc > 4) std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(argv[4])));
  {
    std::ofstream env(argv[1]);
    for (char** e = environ; *e != nullptr; ++e) env << *e << "\n";
  }
  {
    std::ofstream in(argv[2]);
    in << std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  return argc > 3 ? std::atoi(argv[3]) : 0;
}
