enum DeviceClientPlaceholder {}
