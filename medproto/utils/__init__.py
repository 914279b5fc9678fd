# Copyright (c) medproto contributors. All rights reserved.
