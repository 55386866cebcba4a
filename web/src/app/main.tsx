import { boot } from "../boot";
import { App } from "./App";

void boot(App);
