import { boot } from "../boot";
import { ConsoleApp } from "./ConsoleApp";

void boot(ConsoleApp);
